"""Document API v2 (spec/documents-v2.md) on the real binary against the real Cassandra: namespaces,
collections and whole documents, every error path of them, documents of every JSON shape written
over HTTP and read back, their rows checked with the Python driver against the storage layout of
section 2, and rows written with the driver the way Stargate writes them (stale rows, a boolean
bool_value, the DOCROOT row of older collections) read back through cqlgate."""

import http.client
import json
import re
import time
import uuid

import pytest
import requests

from conftest import Gateway, free_port, get_token

NS = "docs_it"                      # the namespace most tests use; the others start with it
COLL = "docs"                       # its collection
NSP = "/v2/schemas/namespaces"
DC = "datacenter1"
EMPTY_OBJECT = "EMPTYOBJ-bccbeee1-6173-4120-8492-7d7bafaefb1f"
EMPTY_ARRAY = "EMPTYARRAY-9df4802a-c135-42d6-8be3-d23d9520a4e7"
ROOT_MARKER = "DOCROOT-a9fb1f04-0394-4c74-b77b-49b4e0ef7900"
PASSWORD = "pw-docs"
ROLES = {
    "docs_it_reader": [f"GRANT SELECT ON TABLE {NS}.{COLL} TO docs_it_reader"],
    "docs_it_writer": [f"GRANT MODIFY ON KEYSPACE {NS} TO docs_it_writer"],
    "docs_it_nothing": [],
    "docs_it_maker": [f"GRANT CREATE ON KEYSPACE {NS} TO docs_it_maker"],
    "docs_it_dropper": [f"GRANT DROP ON KEYSPACE {NS} TO docs_it_dropper"],
}


def coll_path(ns=NS, coll=COLL):
    return f"/v2/namespaces/{ns}/collections/{coll}"


def api(gw, token, method, path, body=None, data=None, params=None, headers=None):
    h = {"X-Cassandra-Token": token}
    if data is not None:
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    return requests.request(method, gw.url(path), json=body, data=data, params=params, headers=h,
                            timeout=60)


def assert_error(r, status, description, grpc=None):
    assert r.status_code == status, r.text
    assert r.json() == {"description": description, "code": status, "grpcStatus": grpc,
                        "internalTxId": None}


def drop_keyspaces(driver):
    for r in list(driver.execute("SELECT keyspace_name FROM system_schema.keyspaces")):
        if r.keyspace_name.startswith(NS):
            driver.execute(f'DROP KEYSPACE IF EXISTS "{r.keyspace_name}"')


def drop_roles(driver):
    for role in ROLES:
        driver.execute(f"DROP ROLE IF EXISTS {role}")


def create_ns(driver, name):
    driver.execute(f"CREATE KEYSPACE IF NOT EXISTS {name} WITH replication = "
                   "{'class': 'SimpleStrategy', 'replication_factor': 1}")


def wait_for(gw, token, path, status=200, timeout=30):
    """Polls PATH until it answers STATUS: schema changes made with the driver reach cqlgate
    through its SCHEMA_CHANGE events."""
    deadline = time.monotonic() + timeout
    while True:
        r = api(gw, token, "GET", path)
        if r.status_code == status:
            return r
        assert time.monotonic() < deadline, r.text
        time.sleep(0.1)


def rows_of(driver, ns, coll, key):
    """The document's rows as the driver reads them, with their write times and TTLs."""
    cols = ", ".join(["key"] + [f"p{i}" for i in range(64)]
                     + ["leaf", "text_value", "dbl_value", "bool_value"])
    return list(driver.execute(f"SELECT {cols}, WRITETIME(leaf) AS wt, TTL(leaf) AS ttl "
                               f"FROM {ns}.{coll} WHERE key = %s", [key]))


def path_of(row):
    path = []
    for i in range(64):
        p = getattr(row, f"p{i}")
        if p == "":
            assert all(getattr(row, f"p{k}") == "" for k in range(i, 64)), row
            break
        path.append(p)
    return path


def put(gw, token, doc_id, doc, coll=COLL, **params):
    r = api(gw, token, "PUT", f"{coll_path(coll=coll)}/{doc_id}", data=json.dumps(doc),
            params=params or None)
    assert r.status_code == 200, r.text
    assert r.json() == {"documentId": doc_id}
    return r


def get(gw, token, doc_id, coll=COLL, **params):
    r = api(gw, token, "GET", f"{coll_path(coll=coll)}/{doc_id}", params=params or None)
    assert r.status_code == 200, r.text
    return r


@pytest.fixture(scope="module")
def docs(gateway, token, driver):
    """The namespace docs_it with the collection docs (made over HTTP), and a few roles."""
    drop_roles(driver)
    drop_keyspaces(driver)
    create_ns(driver, NS)
    wait_for(gateway, token, f"{NSP}/{NS}")
    r = api(gateway, token, "POST", f"/v2/namespaces/{NS}/collections", {"name": COLL})
    assert r.status_code == 201, r.text
    for role, grants in ROLES.items():
        driver.execute(f"CREATE ROLE {role} WITH LOGIN = true AND PASSWORD = '{PASSWORD}'")
        for g in grants:
            driver.execute(g)
    yield {role: get_token(gateway, role, PASSWORD) for role in ROLES}
    drop_roles(driver)
    drop_keyspaces(driver)


# ---- namespaces (1.1) ----------------------------------------------------------------------------

def replication(driver, name):
    row = driver.execute("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = %s",
                         [name]).one()
    return None if row is None else dict(row.replication)


def test_namespace_simple_create_get_list_delete(gateway, token, driver, docs):
    name = f"{NS}_ns1"
    r = api(gateway, token, "POST", NSP, {"name": name, "replicas": 1})
    assert r.status_code == 201, r.text
    assert r.json() == {"name": name, "replicas": 1}
    assert r.headers["Location"] == gateway.url(f"{NSP}/{name}")
    assert replication(driver, name) == {
        "class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": "1"}
    # published before the answer: every worker sees it at once
    for _ in range(4):
        r = api(gateway, token, "GET", f"{NSP}/{name}")
        assert r.status_code == 200, r.text
        assert r.json() == {"data": {"name": name, "replicas": 1}}
    assert api(gateway, token, "GET", f"{NSP}/{name}", params={"raw": "TRUE"}).json() == {
        "name": name, "replicas": 1}
    listed = api(gateway, token, "GET", NSP).json()["data"]
    assert {"name": name, "replicas": 1} in listed
    assert {"name": "system"} in listed                 # LocalStrategy: the name alone
    assert api(gateway, token, "GET", NSP, params={"raw": "true"}).json() == listed
    assert_error(api(gateway, token, "POST", NSP, {"name": name}), 409,
                 f"Create failed: namespace {name} already exists.")
    r = api(gateway, token, "DELETE", f"{NSP}/{name}")
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert replication(driver, name) is None
    assert_error(api(gateway, token, "GET", f"{NSP}/{name}"), 404,
                 f"Namespace {name} does not exist.")
    assert_error(api(gateway, token, "DELETE", f"{NSP}/{name}"), 404,
                 f"Namespace {name} does not exist.")


def test_namespace_default_replicas_and_datacenters(gateway, token, driver, docs):
    name = f"{NS}_ns2"
    r = api(gateway, token, "POST", NSP, data=json.dumps({"name": name, "unknown": [1]}))
    assert r.status_code == 201, r.text
    assert r.json() == {"name": name}
    assert replication(driver, name)["replication_factor"] == "1"
    assert api(gateway, token, "DELETE", f"{NSP}/{name}").status_code == 204

    # NetworkTopologyStrategy; a data centre without replicas gets 3, and is echoed as given
    r = api(gateway, token, "POST", NSP, {"name": name, "replicas": 5,
                                          "datacenters": [{"name": DC}]})
    assert r.status_code == 201, r.text
    assert r.json() == {"name": name, "replicas": 5,
                        "datacenters": [{"name": DC, "replicas": None}]}
    assert replication(driver, name) == {
        "class": "org.apache.cassandra.locator.NetworkTopologyStrategy", DC: "3"}
    assert api(gateway, token, "GET", f"{NSP}/{name}").json() == {
        "data": {"name": name, "datacenters": [{"name": DC, "replicas": 3}]}}
    assert api(gateway, token, "DELETE", f"{NSP}/{name}").status_code == 204

    # Jackson's coercions: a numeric name, replicas as a string or with a fraction
    r = api(gateway, token, "POST", NSP, data=f'{{"name":"{name}","datacenters":'
                                             f'[{{"name":"{DC}","replicas":"2"}}]}}')
    assert r.status_code == 201, r.text
    assert r.json()["datacenters"] == [{"name": DC, "replicas": 2}]
    assert replication(driver, name)[DC] == "2"
    assert api(gateway, token, "DELETE", f"{NSP}/{name}").status_code == 204
    r = api(gateway, token, "POST", NSP, data=f'{{"name":"{name}","replicas":1.9}}')
    assert r.status_code == 201, r.text
    assert r.json() == {"name": name, "replicas": 1}
    assert api(gateway, token, "DELETE", f"{NSP}/{name}").status_code == 204


def test_namespace_errors(gateway, token, driver, docs):
    bad = "HTTP 400 Bad Request"
    assert_error(api(gateway, token, "POST", NSP), 400, "Request invalid: payload not provided.")
    assert_error(api(gateway, token, "POST", NSP, data="null"), 400,
                 "Request invalid: payload not provided.")
    assert_error(api(gateway, token, "POST", NSP, {}), 400,
                 "Request invalid: `name` is required to create a namespace.")
    assert_error(api(gateway, token, "POST", NSP, {"name": " \t"}), 400,
                 "Request invalid: `name` is required to create a namespace.")
    assert_error(api(gateway, token, "POST", NSP, {"name": f"{NS}_x", "replicas": 0}), 400,
                 "Request invalid: minimum amount of `replicas` for `SimpleStrategy` is one.")
    assert_error(api(gateway, token, "POST", NSP, {"replicas": 0, "datacenters": [
        {"replicas": 0}, {"name": "", "replicas": -1}]}), 400,
        "Request invalid: a datacenter `name` is required when using `NetworkTopologyStrategy`, "
        "minimum amount of `replicas` for a datacenter is one, `name` is required to create a "
        "namespace, minimum amount of `replicas` for `SimpleStrategy` is one.")
    r = api(gateway, token, "POST", NSP, data='{"name":')
    assert r.status_code == 400
    assert r.json()["description"].startswith("Unable to process JSON: ")
    for body in ("[]", '"x"', '{"name":{}}', '{"name":"x","replicas":"two"}',
                 '{"name":"x","replicas":true}', '{"name":"x","replicas":3000000000}',
                 '{"name":"x","datacenters":{"name":"dc"}}', '{"name":"x","datacenters":[5]}'):
        assert_error(api(gateway, token, "POST", NSP, data=body), 400, bad)
    # names Cassandra refuses come back with its message
    r = api(gateway, token, "POST", NSP, {"name": "bad-name"})
    assert r.status_code == 400, r.text
    assert "bad-name" in r.json()["description"]
    # an unknown data centre is Cassandra's refusal too
    r = api(gateway, token, "POST", NSP, {"name": f"{NS}_nodc", "datacenters": [{"name": "nodc"}]})
    assert r.status_code == 400, r.text
    assert replication(driver, f"{NS}_nodc") is None
    # the route only takes word characters
    assert_error(api(gateway, token, "GET", f"{NSP}/bad-name"), 404, "HTTP 404 Not Found")
    assert_error(api(gateway, token, "DELETE", f"{NSP}/bad-name"), 404, "HTTP 404 Not Found")
    assert_error(api(gateway, token, "GET", f"{NSP}/{NS}_missing"), 404,
                 f"Namespace {NS}_missing does not exist.")


def test_namespace_grants(gateway, token, driver, docs):
    nothing = docs["docs_it_nothing"]
    r = api(gateway, nothing, "GET", NSP)               # reading the schema needs no grant
    assert r.status_code == 200
    r = api(gateway, nothing, "POST", NSP, {"name": f"{NS}_denied"})
    assert r.status_code == 401, r.text
    assert r.json()["grpcStatus"] == "PERMISSION_DENIED"
    assert "has no CREATE permission on <all keyspaces>" in r.json()["description"]
    assert replication(driver, f"{NS}_denied") is None
    r = api(gateway, docs["docs_it_maker"], "DELETE", f"{NSP}/{NS}")
    assert r.status_code == 401, r.text
    assert "has no DROP permission on <keyspace docs_it>" in r.json()["description"]
    assert replication(driver, NS) is not None
    r = requests.get(gateway.url(NSP), timeout=30)
    assert r.status_code == 401
    assert r.json()["description"] == ("Role unauthorized for operation: Missing token, "
                                       "expecting one in the X-Cassandra-Token header.")


# ---- collections (1.2) ---------------------------------------------------------------------------

def columns(driver, ns, table):
    return {r.column_name: (r.kind, r.type, r.clustering_order, r.position)
            for r in driver.execute("SELECT column_name, kind, type, clustering_order, position "
                                    "FROM system_schema.columns WHERE keyspace_name = %s AND "
                                    "table_name = %s", [ns, table])}


def test_collection_table_and_indexes(gateway, token, driver, docs):
    cols = columns(driver, NS, COLL)
    assert cols.pop("key") == ("partition_key", "text", "none", 0)
    for i in range(64):
        assert cols.pop(f"p{i}") == ("clustering", "text", "asc", i)
    assert cols == {"leaf": ("regular", "text", "none", -1),
                    "text_value": ("regular", "text", "none", -1),
                    "dbl_value": ("regular", "double", "none", -1),
                    "bool_value": ("regular", "tinyint", "none", -1)}
    indexes = {r.index_name: (r.kind, dict(r.options)) for r in driver.execute(
        "SELECT index_name, kind, options FROM system_schema.indexes WHERE keyspace_name = %s",
        [NS])}
    assert indexes == {f"{COLL}_{c}_idx": ("CUSTOM", {"class_name": "StorageAttachedIndex",
                                                     "target": c})
                       for c in ("leaf", "text_value", "dbl_value", "bool_value")}
    comment = driver.execute("SELECT comment FROM system_schema.tables WHERE keyspace_name = %s "
                             "AND table_name = %s", [NS, COLL]).one().comment
    assert comment == ""


def test_collection_create_list_delete(gateway, token, driver, docs):
    base = f"/v2/namespaces/{NS}/collections"
    driver.execute(f"CREATE TABLE IF NOT EXISTS {NS}.plain (k int PRIMARY KEY, v text)")
    wait_for(gateway, token, f"/v2/schemas/keyspaces/{NS}/tables/plain")
    r = api(gateway, token, "POST", base, {"name": "c2"})
    assert r.status_code == 201, r.text
    assert r.content == b""
    assert r.headers["Location"] == gateway.url(f"{base}/c2")
    listed = api(gateway, token, "GET", base).json()
    assert listed == {"data": [{"name": "c2", "upgradeAvailable": False},
                               {"name": COLL, "upgradeAvailable": False}]}
    assert api(gateway, token, "GET", base, params={"raw": "true"}).json() == listed["data"]
    assert_error(api(gateway, token, "POST", base, {"name": "c2"}), 409,
                 "Create failed: collection c2 already exists.")
    r = api(gateway, token, "DELETE", f"{base}/c2")
    assert r.status_code == 204, r.text
    assert driver.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s "
                          "AND table_name = 'c2'", [NS]).one() is None
    assert_error(api(gateway, token, "DELETE", f"{base}/c2"), 404, "Collection 'c2' not found.")
    assert [c["name"] for c in api(gateway, token, "GET", base).json()["data"]] == [COLL]


def test_collection_errors(gateway, token, driver, docs):
    base = f"/v2/namespaces/{NS}/collections"
    missing = f"/v2/namespaces/{NS}_nope/collections"
    unknown = f"Unknown namespace {NS}_nope, you must create it first."
    driver.execute(f"CREATE TABLE IF NOT EXISTS {NS}.plain (k int PRIMARY KEY, v text)")
    wait_for(gateway, token, f"/v2/schemas/keyspaces/{NS}/tables/plain")
    assert_error(api(gateway, token, "GET", missing), 404, unknown)
    assert_error(api(gateway, token, "POST", missing, {"name": "x"}), 404, unknown)
    assert_error(api(gateway, token, "DELETE", f"{missing}/x"), 404, unknown)
    assert_error(api(gateway, token, "POST", base), 400, "Request invalid: payload not provided.")
    assert_error(api(gateway, token, "POST", base, {}), 400,
                 "Request invalid: `name` is required to create a collection.")
    assert_error(api(gateway, token, "POST", base, {"name": ""}), 400,
                 "Request invalid: `name` is required to create a collection.")
    assert_error(api(gateway, token, "POST", base, data='{"name":[1]}'), 400,
                 "HTTP 400 Bad Request")
    assert_error(api(gateway, token, "POST", base, {"name": "bad-name"}), 400,
                 "Could not create collection bad-name, it has invalid characters. Valid "
                 "characters are alphanumeric and underscores.")
    not_coll = (f"The database table {NS}.plain is not a Documents collection. Accessing "
                "arbitrary tables via the Documents API is not permitted.")
    assert_error(api(gateway, token, "POST", base, {"name": "plain"}), 400, not_coll)
    assert_error(api(gateway, token, "DELETE", f"{base}/plain"), 400, not_coll)
    assert_error(api(gateway, token, "DELETE", f"{base}/bad-name"), 404, "HTTP 404 Not Found")
    assert driver.execute(f"SELECT k FROM {NS}.plain").all() == []      # still there
    # grants: CREATE on the keyspace to make one, DROP to drop it
    r = api(gateway, docs["docs_it_nothing"], "POST", base, {"name": "c3"})
    assert r.status_code == 401, r.text
    assert "has no CREATE permission on <keyspace docs_it>" in r.json()["description"]
    r = api(gateway, docs["docs_it_maker"], "DELETE", f"{base}/{COLL}")
    assert r.status_code == 401, r.text
    assert "has no DROP permission on <table docs_it.docs>" in r.json()["description"]


def test_collection_creator_gets_its_permissions(gateway, token, driver, docs):
    base = f"/v2/namespaces/{NS}/collections"
    maker = docs["docs_it_maker"]
    r = api(gateway, maker, "POST", base, {"name": "made"})
    assert r.status_code == 201, r.text
    put(gateway, maker, "d1", {"by": "maker"}, coll="made")
    assert get(gateway, maker, "d1", coll="made").json()["data"] == {"by": "maker"}
    # and a write may make the collection itself, with the same rule
    r = api(gateway, maker, "POST", coll_path(coll="made_by_write"), {"w": True})
    assert r.status_code == 201, r.text
    assert r.json()["documentId"] in r.headers["Location"]
    r = api(gateway, docs["docs_it_dropper"], "DELETE", f"{base}/made")
    assert r.status_code == 204, r.text
    assert api(gateway, token, "DELETE", f"{base}/made_by_write").status_code == 204


# ---- documents (1.3, 2.2-2.4) --------------------------------------------------------------------

SHAPES = [
    {"a": {"b": [1, {"c": None}], "d": {}}, "e": "x"},
    [1, 2, 3],
    [[1, [2, [3, []]]], [[[{}]]], [], {}],
    {"empty_obj": {}, "empty_arr": [], "nested": {"e": {}, "f": [[], [{}]]}},
    {"t": True, "f": False, "n": None, "s": "", "zero": 0, "neg": -42},
    {"arr": [None, None, "x", None]},
    {"caf\u00e9": "\U0001F600", "\"q\"": "a\\b\n\t\u0001", "nul\u0000": "\u0000", " ": " "},
    {"]": 1, "*": 2, "$": 3, "@": 4, "?": 5, ",": 6, "-1": 7, "10": 8, "9": 9},
    {"d": [0.5, -0.25, 1e-7, 123456789.25, 2.5e-300, 1.7976931348623157e308, 5e-324]},
    {"i": [9007199254740992, -9007199254740992, 4294967296, 2147483647]},
    {"long": list(range(25))},
    {"deep": {"a": [{"b": [[{"c": [True]}]]}]}},
]


@pytest.mark.parametrize("doc", SHAPES, ids=[f"shape{i}" for i in range(len(SHAPES))])
def test_document_round_trip(gateway, token, docs, doc):
    doc_id = f"shape-{uuid.uuid4()}"
    put(gateway, token, doc_id, doc)
    r = get(gateway, token, doc_id)
    assert r.json() == {"documentId": doc_id, "data": doc}
    assert get(gateway, token, doc_id, raw="true").json() == doc


def test_document_members_sorted_by_bytes(gateway, token, docs):
    doc = {"b": 1, "a": 2, "C": 3, "aa": 4, "A": 5, "\u00e9": 6, "z": 7}
    put(gateway, token, "sorted", doc)
    text = get(gateway, token, "sorted", raw="true").text
    assert list(json.loads(text)) == sorted(doc, key=lambda k: k.encode())


def test_document_numbers(gateway, token, docs):
    """Integral doubles come back as integers (Java's long cast), others in Java's notation."""
    data = ('{"a":1.0,"b":-0,"c":2.5,"d":1e21,"e":12345678.5,"f":9223372036854775807,'
            '"g":1e400,"h":12345678901234567890,"i":0.1}')
    r = api(gateway, token, "PUT", f"{coll_path()}/numbers", data=data)
    assert r.status_code == 200, r.text
    text = get(gateway, token, "numbers", raw="true").text
    assert text == ('{"a":1,"b":0,"c":2.5,"d":1.0E21,"e":1.23456785E7,"f":9223372036854775807,'
                    '"g":"Infinity","h":1.2345678901234567E19,"i":0.1}')


def test_document_rows_layout(gateway, token, driver, docs):
    """The rows of section 2.2's example, exactly, with one write time for all."""
    before = int(time.time() * 1e6) - 60_000_000
    put(gateway, token, "D", {"a": {"b": [1, {"c": None}], "d": {}}, "e": "x", "t": True,
                              "f": False, "s": "\u00e9"})
    rows = rows_of(driver, NS, COLL, "D")
    got = [(path_of(r), r.leaf, r.text_value, r.dbl_value, r.bool_value) for r in rows]
    assert got == [
        (["a", "b", "[000000]"], "[000000]", None, 1.0, None),
        (["a", "b", "[000001]", "c"], "c", None, None, None),
        (["a", "d"], "d", EMPTY_OBJECT, None, None),
        (["e"], "e", "x", None, None),
        (["f"], "f", None, None, 0),
        (["s"], "s", "\u00e9", None, None),
        (["t"], "t", None, None, 1),
    ]
    assert len({r.wt for r in rows}) == 1
    assert rows[0].wt > before
    assert all(r.ttl is None for r in rows)
    put(gateway, token, "E", {"x": []})
    assert [(path_of(r), r.leaf, r.text_value) for r in rows_of(driver, NS, COLL, "E")] == [
        (["x"], "x", EMPTY_ARRAY)]
    # escapes resolved in keys: a\.b is stored (and read back) as a.b
    put(gateway, token, "F", {"a\\.b": 1, "c\\,d": {"e\\*": 2}})
    assert [path_of(r) for r in rows_of(driver, NS, COLL, "F")] == [["a.b"], ["c,d", "e*"]]
    assert get(gateway, token, "F").json()["data"] == {"a.b": 1, "c,d": {"e*": 2}}


def test_document_post_and_location(gateway, token, driver, docs):
    r = api(gateway, token, "POST", coll_path(), {"posted": [1, 2]})
    assert r.status_code == 201, r.text
    doc_id = r.json()["documentId"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        doc_id)
    assert r.json() == {"documentId": doc_id}
    assert r.headers["Location"] == gateway.url(f"{coll_path()}/{doc_id}")
    assert get(gateway, token, doc_id).json() == {"documentId": doc_id, "data": {"posted": [1, 2]}}
    assert {r.key for r in rows_of(driver, NS, COLL, doc_id)} == {doc_id}
    # two posts, two documents
    r2 = api(gateway, token, "POST", coll_path(), [True])
    assert r2.status_code == 201 and r2.json()["documentId"] != doc_id


def test_document_put_replaces_whole(gateway, token, driver, docs):
    big = {f"k{i}": {"v": [i, str(i)]} for i in range(40)}
    put(gateway, token, "repl", big)
    put(gateway, token, "repl", {"only": "this"})
    assert get(gateway, token, "repl").json()["data"] == {"only": "this"}
    rows = rows_of(driver, NS, COLL, "repl")
    assert [path_of(r) for r in rows] == [["only"]]         # the partition delete took the rest
    # and the other way round, an array replaced by an object at the root
    put(gateway, token, "repl", [1, [2]])
    put(gateway, token, "repl", {"a": 1})
    assert get(gateway, token, "repl").json()["data"] == {"a": 1}


def test_document_ttl(gateway, token, driver, docs):
    put(gateway, token, "ttl", {"a": 1, "b": [2]}, ttl="1000")
    ttls = [r.ttl for r in rows_of(driver, NS, COLL, "ttl")]
    assert len(ttls) == 2 and all(900 < t <= 1000 for t in ttls)
    r = api(gateway, token, "POST", coll_path(), {"a": 1}, params={"ttl": "500"})
    assert r.status_code == 201, r.text
    ttls = [row.ttl for row in rows_of(driver, NS, COLL, r.json()["documentId"])]
    assert len(ttls) == 1 and 400 < ttls[0] <= 500
    put(gateway, token, "ttl", {"a": 1})                    # no ttl: rows do not expire
    assert [r.ttl for r in rows_of(driver, NS, COLL, "ttl")] == [None]
    put(gateway, token, "ttl2", {"gone": True}, ttl="1")
    time.sleep(2.2)
    assert_error(api(gateway, token, "GET", f"{coll_path()}/ttl2"), 404,
                 "A document with the id ttl2 does not exist.")


def test_document_delete(gateway, token, driver, docs):
    put(gateway, token, "del", {"a": [1, 2, 3]})
    r = api(gateway, token, "DELETE", f"{coll_path()}/del")
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert rows_of(driver, NS, COLL, "del") == []
    assert_error(api(gateway, token, "GET", f"{coll_path()}/del"), 404,
                 "A document with the id del does not exist.")
    # deleting what is not there is fine too
    assert api(gateway, token, "DELETE", f"{coll_path()}/never").status_code == 204


def test_document_ids(gateway, token, driver, docs):
    for doc_id, path in (("caf\u00e9 x", "caf%C3%A9%20x"), ("a+b", "a+b"), ("x:y", "x:y"),
                         ("s/t", "s%2Ft")):
        r = api(gateway, token, "PUT", f"{coll_path()}/{path}", {"id": doc_id})
        assert r.status_code == 200, r.text
        assert r.json() == {"documentId": doc_id}
        assert {r.key for r in rows_of(driver, NS, COLL, doc_id)} == {doc_id}
        r = api(gateway, token, "GET", f"{coll_path()}/{path}")
        assert r.json() == {"documentId": doc_id, "data": {"id": doc_id}}
    # bytes that are not UTF-8 are read as U+FFFD, as the server decodes paths
    r = api(gateway, token, "PUT", f"{coll_path()}/bad%FFid", {"v": 1})
    assert r.status_code == 200, r.text
    assert r.json() == {"documentId": "bad\ufffdid"}


def test_document_bad_escapes_and_tokens(gateway, token, docs):
    for method, tail in (("GET", "a%zz"), ("PUT", "a%2"), ("DELETE", "%G0")):
        # http.client sends the path as it is (requests would escape the '%')
        conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
        conn.request(method, f"{coll_path()}/{tail}", body=b'{"a":1}',
                     headers={"X-Cassandra-Token": token, "Content-Type": "application/json"})
        r = conn.getresponse()
        assert r.status == 404
        assert json.loads(r.read())["description"] == "HTTP 404 Not Found"
        conn.close()
    r = api(gateway, "00000000-0000-4000-8000-000000000000", "GET", f"{coll_path()}/x")
    assert r.status_code == 401, r.text
    assert r.json()["grpcStatus"] == "UNAUTHENTICATED"
    r = requests.put(gateway.url(f"{coll_path()}/x"), json={"a": 1}, timeout=30)
    assert_error(r, 401, "Role unauthorized for operation: Missing token, expecting one in the "
                 "X-Cassandra-Token header.")


def test_document_fields(gateway, token, docs):
    put(gateway, token, "fields", {"a": {"b": 1, "c": 2}, "d": [10, 11, 12], "e\\.f": 3,
                                   "g": True})
    def fields(f, raw="true"):
        return api(gateway, token, "GET", f"{coll_path()}/fields",
                   params={"fields": json.dumps(f), "raw": raw})
    assert fields(["a.b"]).json() == {"a": {"b": 1}}
    assert fields(["a", "g"]).json() == {"a": {"b": 1, "c": 2}, "g": True}
    assert fields(["d.[1]"]).json() == {"d": [None, 11]}
    assert fields(["d.[*]"]).json() == {"d": [10, 11, 12]}
    assert fields(["*.c"]).json() == {"a": {"c": 2}}
    assert fields(["a.b,c"]).json() == {"a": {"b": 1, "c": 2}}
    assert fields(["e\\.f"]).json() == {"e.f": 3}
    assert fields(["nothing"]).json() == {}
    assert fields([]).json() == {"a": {"b": 1, "c": 2}, "d": [10, 11, 12], "e.f": 3, "g": True}
    assert fields(["g"], raw="false").json() == {"documentId": "fields", "data": {"g": True}}


def test_document_large_and_paged(gateway, token, driver, docs):
    """More rows than one read page (1000) and than a small batch: one write, all back."""
    doc = {"items": [{"n": i, "s": f"item {i}", "even": i % 2 == 0} for i in range(1200)]}
    put(gateway, token, "large", doc)
    assert len(rows_of(driver, NS, COLL, "large")) == 3600
    assert get(gateway, token, "large", raw="true").json() == doc


def test_document_depth_limit(gateway, token, docs):
    deepest = {}
    node = deepest
    for _ in range(63):
        node["k"] = {}
        node = node["k"]
    node["k"] = {}                                  # 64 segments, the last an empty object
    put(gateway, token, "deep", deepest)
    assert get(gateway, token, "deep", raw="true").json() == deepest
    node["k"] = {"too": 1}
    r = api(gateway, token, "PUT", f"{coll_path()}/deeper", deepest)
    assert_error(r, 400, "Max depth of 64 exceeded.")
    arrays = "[" * 65 + "1" + "]" * 65
    assert_error(api(gateway, token, "PUT", f"{coll_path()}/deeper", data=arrays), 400,
                 "Max depth of 64 exceeded.")
    # past Jackson's own nesting limit the body is not read at all
    r = api(gateway, token, "PUT", f"{coll_path()}/deeper", data="[" * 1001 + "]" * 1001)
    assert r.status_code == 400
    assert r.json()["description"].startswith("Unable to process JSON: JSON nested too deeply")


def test_document_too_many_values_for_one_batch(gateway, token, driver, docs):
    body = "[" + ",".join(["0"] * 65535) + "]"
    assert_error(api(gateway, token, "PUT", f"{coll_path()}/many", data=body), 400,
                 "Request invalid: a document is written in one batch, which holds at most "
                 "65535 statements (one per value).")
    assert rows_of(driver, NS, COLL, "many") == []


def test_document_write_errors(gateway, token, driver, docs):
    path = f"{coll_path()}/bad"
    primitive = ("Updating a key with just a JSON primitive is not allowed. Hint: update the "
                 "parent path with a defined object instead.")
    empty = ("Updating a key with just an empty object or an empty array is not allowed. Hint: "
             "update the parent path with a defined object instead.")
    for method, url in (("PUT", path), ("POST", coll_path())):
        assert_error(api(gateway, token, method, url), 400,
                     "Request invalid: payload must not be empty.")
        assert_error(api(gateway, token, method, url, data="  "), 400,
                     "Request invalid: payload must not be empty.")
        assert_error(api(gateway, token, method, url, {"a": 1}, params={"ttl": "0"}), 400,
                     "Request invalid: TTL value must be a positive integer.")
        assert_error(api(gateway, token, method, url, params={"ttl": "-5"}), 400,
                     "Request invalid: TTL value must be a positive integer, payload must not be "
                     "empty.")
        assert_error(api(gateway, token, method, url, {"a": 1}, params={"ttl": "x"}), 404,
                     "HTTP 404 Not Found")
        r = api(gateway, token, method, url, data='{"a":')
        assert r.status_code == 400
        assert r.json()["description"].startswith("Unable to process JSON: ")
        for body in ("{}", "[]", " { } "):
            assert_error(api(gateway, token, method, url, data=body), 400, empty)
        for body in ("1", '"s"', "true", "null"):
            assert_error(api(gateway, token, method, url, data=body), 400, primitive)
        for key in ("a.b", "[0]", "it's", "a\\b", "x["):
            assert_error(api(gateway, token, method, url, {"ok": 1, "n": {key: 1}}), 400,
                         "Array paths contained in square brackets, periods, single quotes, and "
                         f"backslash are not allowed in field names, invalid field {key}")
        assert_error(api(gateway, token, method, url, {"a": [{"": 1}]}), 400,
                     "JSON objects containing empty field names are not supported at the "
                     "moment.")
    assert rows_of(driver, NS, COLL, "bad") == []           # nothing of any of them written


def test_document_read_errors(gateway, token, docs):
    put(gateway, token, "r", {"a": 1})
    path = f"{coll_path()}/r"
    assert_error(api(gateway, token, "GET", f"{coll_path()}/none"), 404,
                 "A document with the id none does not exist.")
    assert_error(api(gateway, token, "GET", path, params={"page-size": "0"}), 400,
                 "Request invalid: the minimum number of results to return is one.")
    assert_error(api(gateway, token, "GET", path, params={"page-size": "x"}), 404,
                 "HTTP 404 Not Found")
    for fields, desc in (
            ("a", "The `fields` parameter expects a valid JSON array containing field names."),
            ('{"a":1}', '`fields` must be a JSON array, found {"a":1}'),
            ('["a",2]', "Each field must be a string, found 2"),
            ('["a.[x]"]', "Array path [x] is not valid."),
            ('["[1000000]"]', "Max array length of 1000000 exceeded.")):
        assert_error(api(gateway, token, "GET", path, params={"fields": fields}), 400, desc)


def test_document_collection_errors(gateway, token, driver, docs):
    driver.execute(f"CREATE TABLE IF NOT EXISTS {NS}.plain (k int PRIMARY KEY, v text)")
    wait_for(gateway, token, f"/v2/schemas/keyspaces/{NS}/tables/plain")
    unknown = f"Unknown namespace {NS}_nope, you must create it first."
    not_coll = (f"The database table {NS}.plain is not a Documents collection. Accessing "
                "arbitrary tables via the Documents API is not permitted.")
    for method, body in (("PUT", {"a": 1}), ("GET", None), ("DELETE", None)):
        assert_error(api(gateway, token, method, f"{coll_path(ns=NS + '_nope')}/x", body), 404,
                     unknown)
        assert_error(api(gateway, token, method, f"{coll_path(coll='plain')}/x", body), 400,
                     not_coll)
        assert_error(api(gateway, token, method, f"{coll_path(coll='bad-name')}/x", body), 404,
                     "HTTP 404 Not Found")
    assert_error(api(gateway, token, "POST", coll_path(ns=NS + "_nope"), {"a": 1}), 404, unknown)
    assert_error(api(gateway, token, "POST", coll_path(coll="plain"), {"a": 1}), 400, not_coll)
    for method in ("GET", "DELETE"):
        assert_error(api(gateway, token, method, f"{coll_path(coll='absent')}/x"), 404,
                     "Collection 'absent' not found.")
    assert driver.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s "
                          "AND table_name = 'absent'", [NS]).one() is None


def test_document_write_creates_collection(gateway, token, driver, docs):
    r = api(gateway, token, "PUT", f"{coll_path(coll='auto')}/one", {"x": [1]})
    assert r.status_code == 200, r.text
    assert "bool_value" in columns(driver, NS, "auto")
    names = [c["name"] for c in api(gateway, token, "GET",
                                    f"/v2/namespaces/{NS}/collections").json()["data"]]
    assert "auto" in names
    assert get(gateway, token, "one", coll="auto").json()["data"] == {"x": [1]}
    # an invalid document still makes the collection first, as Stargate's order has it
    r = api(gateway, token, "POST", coll_path(coll="auto2"), {"a.b": 1})
    assert r.status_code == 400, r.text
    assert "bool_value" in columns(driver, NS, "auto2")
    for c in ("auto", "auto2"):
        assert api(gateway, token, "DELETE", f"/v2/namespaces/{NS}/collections/{c}").status_code \
            == 204


def test_document_grants(gateway, token, driver, docs):
    put(gateway, token, "granted", {"a": 1})
    reader, writer, nothing = (docs["docs_it_reader"], docs["docs_it_writer"],
                               docs["docs_it_nothing"])
    assert get(gateway, reader, "granted").json()["data"] == {"a": 1}
    r = api(gateway, reader, "PUT", f"{coll_path()}/granted", {"a": 2})
    assert r.status_code == 401, r.text
    assert r.json()["grpcStatus"] == "PERMISSION_DENIED"
    assert "has no MODIFY permission on <table docs_it.docs>" in r.json()["description"]
    r = api(gateway, reader, "DELETE", f"{coll_path()}/granted")
    assert r.status_code == 401, r.text
    put(gateway, writer, "granted", {"a": 3})
    r = api(gateway, writer, "GET", f"{coll_path()}/granted")
    assert r.status_code == 401, r.text
    assert "has no SELECT permission on <table docs_it.docs>" in r.json()["description"]
    r = api(gateway, writer, "POST", coll_path(coll="writer_made"), {"a": 1})
    assert r.status_code == 401, r.text
    assert "has no CREATE permission on <keyspace docs_it>" in r.json()["description"]
    r = api(gateway, nothing, "GET", f"{coll_path()}/granted")
    assert r.status_code == 401, r.text
    assert get(gateway, token, "granted").json()["data"] == {"a": 3}
    # the namespace and collection checks come first
    assert_error(api(gateway, nothing, "GET", f"{coll_path(coll='absent')}/x"), 404,
                 "Collection 'absent' not found.")
    r = requests.get(gateway.url(f"{coll_path()}/granted"), timeout=30)
    assert r.status_code == 401


def test_collection_dropped_and_made_again(docs):
    """Cassandra forgets the prepared statements of a dropped table: the batch prepares them
    again and goes through."""
    gw = Gateway(workers=1)                 # one worker: one prepared-statement cache
    try:
        tok = get_token(gw)
        base = f"/v2/namespaces/{NS}/collections"
        put(gw, tok, "a", {"v": 1}, coll="again")
        assert get(gw, tok, "a", coll="again").json()["data"] == {"v": 1}
        assert api(gw, tok, "DELETE", f"{base}/again").status_code == 204
        assert api(gw, tok, "POST", base, {"name": "again"}).status_code == 201
        assert_error(api(gw, tok, "GET", f"{coll_path(coll='again')}/a"), 404,
                     "A document with the id a does not exist.")
        put(gw, tok, "a", {"v": 2}, coll="again")
        assert get(gw, tok, "a", coll="again").json()["data"] == {"v": 2}
        assert "batch refers to a statement the server forgot" in gw.output()
        assert api(gw, tok, "DELETE", f"{base}/again").status_code == 204
    finally:
        gw.stop_clean()


def test_documents_without_tokens(driver, docs):
    """With --auth none nothing asks for a token or a grant, and nothing is granted."""
    gw = Gateway("--auth", "none")
    try:
        base = f"/v2/namespaces/{NS}/collections"
        r = requests.post(gw.url(base), json={"name": "open"}, timeout=60)
        assert r.status_code == 201, r.text
        r = requests.put(gw.url(f"{coll_path(coll='open')}/o"), json={"x": [True]}, timeout=60)
        assert r.status_code == 200, r.text
        r = requests.get(gw.url(f"{coll_path(coll='open')}/o"), timeout=60)
        assert r.json() == {"documentId": "o", "data": {"x": [True]}}
        assert requests.delete(gw.url(f"{coll_path(coll='open')}/o"),
                               timeout=60).status_code == 204
        assert requests.delete(gw.url(f"{base}/open"), timeout=60).status_code == 204
    finally:
        gw.stop_clean()


def test_documents_answer_503_when_cassandra_is_unreachable():
    gw = Gateway("--auth", "none", contact_points=f"127.0.0.1:{free_port()}", wait_ready=False)
    try:
        base = f"/v2/namespaces/{NS}/collections"
        for method, path, body in (("GET", NSP, None), ("GET", f"{NSP}/{NS}", None),
                                   ("POST", NSP, {"name": NS}), ("DELETE", f"{NSP}/{NS}", None),
                                   ("GET", base, None), ("POST", base, {"name": "c"}),
                                   ("DELETE", f"{base}/c", None), ("POST", coll_path(), {"a": 1}),
                                   ("PUT", f"{coll_path()}/x", {"a": 1}),
                                   ("GET", f"{coll_path()}/x", None),
                                   ("DELETE", f"{coll_path()}/x", None)):
            r = requests.request(method, gw.url(path), json=body, timeout=30)
            assert r.status_code == 503, (method, path, r.text)
            assert r.json()["description"].startswith("Cassandra is unreachable"), r.text
    finally:
        gw.stop_clean()


# ---- rows as Stargate writes them (2.3) ----------------------------------------------------------

def insert_row(driver, table, key, path, ts, text=None, dbl=None, boolean=None, leaf=None):
    cols = ", ".join(["key"] + [f"p{i}" for i in range(64)]
                     + ["leaf", "text_value", "dbl_value", "bool_value"])
    marks = ", ".join(["%s"] * 69)
    values = [key] + path + [""] * (64 - len(path)) + [leaf if leaf is not None else path[-1],
                                                       text, dbl, boolean]
    driver.execute(f"INSERT INTO {NS}.{table} ({cols}) VALUES ({marks}) USING TIMESTAMP {ts}",
                   values)


@pytest.fixture(scope="module")
def stargate_table(gateway, token, driver, docs):
    """A collection made the way Stargate makes it where SAI is off: a boolean bool_value and
    classic secondary indexes."""
    return make_stargate_table(gateway, token, driver, "sg")


def make_stargate_table(gateway, token, driver, name):
    """Makes collection NAME of namespace NS as Stargate makes it where SAI is off, and waits
    until cqlgate lists it."""
    cols = ", ".join(["key text"] + [f"p{i} text" for i in range(64)]
                     + ["leaf text", "text_value text", "dbl_value double", "bool_value boolean"])
    pk = ", ".join(f"p{i}" for i in range(64))
    driver.execute(f"CREATE TABLE {NS}.{name} ({cols}, PRIMARY KEY ((key), {pk}))")
    for c in ("leaf", "text_value", "dbl_value", "bool_value"):
        driver.execute(f"CREATE INDEX IF NOT EXISTS ON {NS}.{name} ({c})")
    deadline = time.monotonic() + 30
    while name not in [c["name"] for c in api(gateway, token, "GET", f"/v2/namespaces/{NS}/"
                                               "collections").json()["data"]]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return name


def test_stargate_rows_read_back(gateway, token, driver, stargate_table):
    t = stargate_table
    insert_row(driver, t, "s1", [ROOT_MARKER], 10, leaf=ROOT_MARKER)   # older collections' root
    insert_row(driver, t, "s1", ["a", "b"], 10, text="x")
    insert_row(driver, t, "s1", ["a", "c", "[000000]"], 10, boolean=True)
    insert_row(driver, t, "s1", ["a", "c", "[000002]"], 10, boolean=False)
    insert_row(driver, t, "s1", ["d"], 10, dbl=3.0)
    insert_row(driver, t, "s1", ["e"], 10, dbl=0.25)
    insert_row(driver, t, "s1", ["f"], 10, text=EMPTY_ARRAY)
    insert_row(driver, t, "s1", ["g"], 10, text=EMPTY_OBJECT)
    insert_row(driver, t, "s1", ["h"], 10)
    insert_row(driver, t, "s1", ["i", "[3]"], 10, text="unpadded")
    assert get(gateway, token, "s1", coll=t).json() == {"documentId": "s1", "data": {
        "a": {"b": "x", "c": [True, None, False]}, "d": 3, "e": 0.25, "f": [], "g": {},
        "h": None, "i": [None, None, None, "unpadded"]}}


def test_stargate_stale_rows(gateway, token, driver, stargate_table):
    """Rows left by an older version of a path: the newest write time wins."""
    t = stargate_table
    # {"a":{"b":1},"k":"old"} at 100, then "a" rewritten as [7,8] at 200 without the delete
    insert_row(driver, t, "s2", ["a", "b"], 100, dbl=1.0)
    insert_row(driver, t, "s2", ["k"], 100, text="old")
    insert_row(driver, t, "s2", ["a", "[000000]"], 200, dbl=7.0)
    insert_row(driver, t, "s2", ["a", "[000001]"], 200, dbl=8.0)
    assert get(gateway, token, "s2", coll=t).json()["data"] == {"a": [7, 8], "k": "old"}
    # a scalar that replaced an object, and an object that replaced a scalar
    insert_row(driver, t, "s3", ["x"], 300, text="new")
    insert_row(driver, t, "s3", ["x", "y"], 100, dbl=1.0)
    insert_row(driver, t, "s3", ["z"], 100, text="old")
    insert_row(driver, t, "s3", ["z", "w"], 300, boolean=True)
    assert get(gateway, token, "s3", coll=t).json()["data"] == {"x": "new", "z": {"w": True}}
    # a whole document rewritten as an array: the old object rows are dead
    insert_row(driver, t, "s4", ["A"], 100, text="old")
    insert_row(driver, t, "s4", ["[000000]"], 200, text="new")
    insert_row(driver, t, "s4", ["k"], 100, text="old")
    assert get(gateway, token, "s4", coll=t).json()["data"] == ["new"]
    # fields apply to the rows before they are put together
    assert get(gateway, token, "s3", coll=t, fields='["z"]', raw="true").json() == {
        "z": {"w": True}}


def test_stargate_table_written_by_cqlgate(gateway, token, driver, stargate_table):
    """cqlgate writes a boolean bool_value where the table has one, and Stargate's reading of
    the rows would find them as it writes them."""
    t = stargate_table
    put(gateway, token, "w1", {"yes": True, "no": False, "n": 2}, coll=t)
    rows = rows_of(driver, NS, t, "w1")
    assert [(path_of(r), r.bool_value, r.dbl_value) for r in rows] == [
        (["n"], None, 2.0), (["no"], False, None), (["yes"], True, None)]
    assert get(gateway, token, "w1", coll=t).json()["data"] == {"yes": True, "no": False, "n": 2}


def index_classes(driver, table):
    """{index name: (target, class_name or kind)} of TABLE in NS, as the driver reads them."""
    return {r.index_name: (dict(r.options)["target"],
                           dict(r.options).get("class_name", r.kind))
            for r in driver.execute("SELECT index_name, kind, options FROM system_schema.indexes "
                                    "WHERE keyspace_name = %s AND table_name = %s", [NS, table])}


def test_collection_upgrade_to_sai(gateway, token, driver, docs):
    """A collection with classic indexes (made by Stargate on Cassandra 4) is listed as
    upgradable, and its upgrade replaces them with SAI indexes, its documents still found."""
    base = f"/v2/namespaces/{NS}/collections"
    old = make_stargate_table(gateway, token, driver, "old")
    try:
        listed = {c["name"]: c for c in api(gateway, token, "GET", base).json()["data"]}
        assert listed[old] == {"name": old, "upgradeAvailable": True,
                               "upgradeType": "SAI_INDEX_UPGRADE"}
        assert listed[COLL] == {"name": COLL, "upgradeAvailable": False}
        put(gateway, token, "u1", {"a": "x", "n": 5, "b": True, "o": {"p": "q"}}, coll=old)
        up = f"{base}/{old}/upgrade"
        body = {"upgradeType": "SAI_INDEX_UPGRADE"}
        r = api(gateway, docs["docs_it_nothing"], "POST", up, body)
        assert r.status_code == 401, r.text
        assert f"has no ALTER permission on <table {NS}.{old}>" in r.json()["description"]
        assert set(index_classes(driver, old).values()) == {
            (c, "COMPOSITES") for c in ("leaf", "text_value", "dbl_value", "bool_value")}
        r = api(gateway, token, "POST", up, body)
        assert r.status_code == 200, r.text
        assert r.json() == {"data": {"name": old, "upgradeAvailable": False}}
        assert index_classes(driver, old) == {
            f"{old}_{c}_idx": (c, "StorageAttachedIndex")
            for c in ("leaf", "text_value", "dbl_value", "bool_value")}
        listed = {c["name"]: c for c in api(gateway, token, "GET", base).json()["data"]}
        assert listed[old] == {"name": old, "upgradeAvailable": False}
        assert get(gateway, token, "u1", coll=old).json()["data"] == {
            "a": "x", "n": 5, "b": True, "o": {"p": "q"}}
        for where in ({"n": {"$eq": 5}}, {"a": {"$eq": "x"}}, {"b": {"$eq": True}},
                      {"o.p": {"$eq": "q"}}):
            r = api(gateway, token, "GET", f"{base}/{old}",
                    params={"where": json.dumps(where)})
            assert r.status_code == 200, r.text
            assert list(r.json()["data"]) == ["u1"], where
        # nothing left to upgrade
        assert_error(api(gateway, token, "POST", up, body), 400,
                     "The collection cannot be upgraded in given manner.")
        assert_error(api(gateway, token, "POST", up, body, params={"raw": "true"}), 400,
                     "The collection cannot be upgraded in given manner.")
    finally:
        driver.execute(f"DROP TABLE IF EXISTS {NS}.{old}")


def test_collection_upgrade_raw(gateway, token, driver, docs):
    base = f"/v2/namespaces/{NS}/collections"
    old = make_stargate_table(gateway, token, driver, "old_raw")
    try:
        # one index missing, maybe not yet known to cqlgate when the upgrade comes: upgradable too
        driver.execute(f"DROP INDEX {NS}.{old}_leaf_idx")
        r = api(gateway, token, "POST", f"{base}/{old}/upgrade",
                {"upgradeType": "SAI_INDEX_UPGRADE"}, params={"raw": "true"})
        assert r.status_code == 200, r.text
        assert r.json() == {"name": old, "upgradeAvailable": False}
        assert index_classes(driver, old) == {
            f"{old}_{c}_idx": (c, "StorageAttachedIndex")
            for c in ("leaf", "text_value", "dbl_value", "bool_value")}
    finally:
        driver.execute(f"DROP TABLE IF EXISTS {NS}.{old}")


def test_collection_upgrade_errors(gateway, token, driver, docs):
    base = f"/v2/namespaces/{NS}/collections"
    body = {"upgradeType": "SAI_INDEX_UPGRADE"}
    driver.execute(f"CREATE TABLE IF NOT EXISTS {NS}.plain (k int PRIMARY KEY, v text)")
    wait_for(gateway, token, f"/v2/schemas/keyspaces/{NS}/tables/plain")
    # a collection made by cqlgate on Cassandra 5.0 has its SAI indexes already
    assert_error(api(gateway, token, "POST", f"{base}/{COLL}/upgrade", body), 400,
                 "The collection cannot be upgraded in given manner.")
    assert_error(api(gateway, token, "POST", f"{base}/{COLL}/upgrade"), 400,
                 "Request invalid: payload not provided.")
    assert_error(api(gateway, token, "POST", f"{base}/{COLL}/upgrade", {}), 400,
                 "Request invalid: `upgradeType` is required to upgrade a collection.")
    assert_error(api(gateway, token, "POST", f"{base}/{COLL}/upgrade", {"upgradeType": None}),
                 400, "Request invalid: `upgradeType` is required to upgrade a collection.")
    assert_error(api(gateway, token, "POST", f"{base}/{COLL}/upgrade", {"upgradeType": "X"}),
                 400, "HTTP 400 Bad Request")
    assert_error(api(gateway, token, "POST", f"{base}/{COLL}/upgrade", data="{"), 400,
                 api(gateway, token, "POST", base, data="{").json()["description"])
    assert_error(api(gateway, token, "POST", f"/v2/namespaces/{NS}_nope/collections/x/upgrade",
                     body), 404, f"Unknown namespace {NS}_nope, you must create it first.")
    assert_error(api(gateway, token, "POST", f"{base}/nope/upgrade", body), 404,
                 "Collection 'nope' not found.")
    assert_error(api(gateway, token, "POST", f"{base}/plain/upgrade", body), 400,
                 f"The database table {NS}.plain is not a Documents collection. Accessing "
                 "arbitrary tables via the Documents API is not permitted.")
    assert index_classes(driver, COLL) == {
        f"{COLL}_{c}_idx": (c, "StorageAttachedIndex")
        for c in ("leaf", "text_value", "dbl_value", "bool_value")}
