"""Document API v2, the writes below a document's root (spec/documents-v2.md 1.3, 1.4, 2.4, 2.5):
GET, PUT, PATCH and DELETE of sub-document paths, PATCH of a whole document, the built-in
functions $push, $pop and $set, the batch write with and without id-path, ttl-auto, and
concurrent writes to one document. Everything goes over HTTP to the real binary; the rows each
kind of write leaves are checked with the Python driver against the storage layout of section 2."""

import concurrent.futures
import json

import pytest
import requests

from conftest import get_token
from test_docs import EMPTY_ARRAY, EMPTY_OBJECT, api, assert_error, create_ns, path_of, rows_of, \
    wait_for

NS = "docs2_it"
COLL = "w"
BASE = f"/v2/namespaces/{NS}/collections/{COLL}"


@pytest.fixture(scope="module")
def ns(gateway, token, driver):
    """The namespace docs2_it with the collection w."""
    driver.execute(f"DROP KEYSPACE IF EXISTS {NS}")
    create_ns(driver, NS)
    wait_for(gateway, token, f"/v2/schemas/namespaces/{NS}")
    r = api(gateway, token, "POST", f"/v2/namespaces/{NS}/collections", {"name": COLL})
    assert r.status_code == 201, r.text
    yield NS
    driver.execute(f"DROP KEYSPACE IF EXISTS {NS}")


NOBODY = object()                   # a request without a body (None sends JSON null)


def call(gw, token, method, path, body=NOBODY, **params):
    data = None if body is NOBODY else json.dumps(body)
    return api(gw, token, method, f"{BASE}/{path}", data=data, params=params or None)


def put(gw, token, doc_id, doc, **params):
    r = call(gw, token, "PUT", doc_id, doc, **params)
    assert r.status_code == 200, r.text
    assert r.json() == {"documentId": doc_id.split("/")[0]}


def doc_of(gw, token, doc_id):
    r = call(gw, token, "GET", doc_id, raw="true")
    assert r.status_code == 200, r.text
    return r.json()


def layout(driver, key):
    """{path tuple: value} of the document's rows, the value as section 2.2 stores it."""
    out = {}
    for row in rows_of(driver, NS, COLL, key):
        path = tuple(path_of(row))
        assert row.leaf == path[-1]
        if row.text_value is not None:
            out[path] = row.text_value
        elif row.bool_value is not None:
            out[path] = bool(row.bool_value)
        else:
            out[path] = row.dbl_value
    return out


def not_found(doc_id, *segs):
    return f"A path [{', '.join(segs)}] in a document with the id {doc_id}, or the document " \
           "itself, does not exist."


DOC = {"a": {"b": [1, {"c": None}], "d": {}}, "e": "x"}


# ---- GET of a path -------------------------------------------------------------------------------

def test_get_path(gateway, token, ns):
    put(gateway, token, "g", DOC)
    r = call(gateway, token, "GET", "g/a")
    assert r.status_code == 200, r.text
    assert r.json() == {"documentId": "g", "data": {"b": [1, {"c": None}], "d": {}}}
    assert doc_of(gateway, token, "g/a/b/[1]") == {"c": None}
    assert doc_of(gateway, token, "g/a/b/[000001]") == {"c": None}
    assert doc_of(gateway, token, "g/a/b/[0]") == 1
    assert doc_of(gateway, token, "g/a/d") == {}
    assert doc_of(gateway, token, "g/e") == "x"
    assert doc_of(gateway, token, "g/a/b/[1]/c") is None
    r = call(gateway, token, "GET", "g/a", fields='["d"]', raw="true")
    assert r.json() == {"d": {}}


def test_get_path_escapes(gateway, token, ns):
    put(gateway, token, "esc", {"x\\.y": 1, "p,q": {"r*": 2}})
    assert doc_of(gateway, token, "esc") == {"p,q": {"r*": 2}, "x.y": 1}
    assert doc_of(gateway, token, "esc/x%5C.y") == 1
    assert doc_of(gateway, token, "esc/p%5C,q/r%5C*") == 2


def test_get_path_errors(gateway, token, ns):
    put(gateway, token, "ge", DOC)
    assert_error(call(gateway, token, "GET", "ge/nope"), 404, not_found("ge", "nope"))
    assert_error(call(gateway, token, "GET", "ge/a/b/[5]"), 404, not_found("ge", "a", "b", "[5]"))
    assert_error(call(gateway, token, "GET", "ge/e/deeper"), 404, not_found("ge", "e", "deeper"))
    assert_error(call(gateway, token, "GET", "missing/a"), 404, not_found("missing", "a"))
    assert_error(call(gateway, token, "GET", "ge/a/[x]"), 400, "Array path [x] is not valid.")
    assert_error(call(gateway, token, "GET", "ge/[1000000]"), 400,
                 "Max array length of 1000000 exceeded.")
    assert_error(api(gateway, token, "GET", f"/v2/namespaces/{NS}/collections/nocoll/ge/a"), 404,
                 "Collection 'nocoll' not found.")


# ---- PUT of a path -------------------------------------------------------------------------------

def test_put_path_replaces_subtree(gateway, token, driver, ns):
    put(gateway, token, "p", DOC)
    put(gateway, token, "p/a/b", {"z": True})
    assert doc_of(gateway, token, "p") == {"a": {"b": {"z": True}, "d": {}}, "e": "x"}
    assert layout(driver, "p") == {("a", "b", "z"): True, ("a", "d"): EMPTY_OBJECT, ("e",): "x"}
    rows = {tuple(path_of(r)): r for r in rows_of(driver, NS, COLL, "p")}
    assert rows[("a", "b", "z")].wt > rows[("e",)].wt
    assert rows[("a", "b", "z")].ttl is None
    put(gateway, token, "p/e", "y")
    put(gateway, token, "p/a/d", [])
    put(gateway, token, "p/a/n", None)
    put(gateway, token, "p/a/b/[2]", 7)
    assert doc_of(gateway, token, "p") == {"a": {"b": [None, None, 7], "d": [], "n": None},
                                            "e": "y"}
    # the PUT at a.b.[2] deletes only below a.b.[000002]: the object row a.b.z stays, older
    # than the array element that now shadows it on reading (2.3)
    assert layout(driver, "p") == {("a", "b", "[000002]"): 7.0, ("a", "b", "z"): True,
                                   ("a", "d"): EMPTY_ARRAY, ("a", "n"): None, ("e",): "y"}


def test_put_path_creates_document(gateway, token, driver, ns):
    put(gateway, token, "newdoc/x/[0]", {"k": "v"})
    assert doc_of(gateway, token, "newdoc") == {"x": [{"k": "v"}]}
    assert layout(driver, "newdoc") == {("x", "[000000]", "k"): "v"}


def test_put_path_errors(gateway, token, ns):
    assert_error(call(gateway, token, "PUT", "pe/a"), 400,
                 "Request invalid: payload must not be empty.")
    r = api(gateway, token, "PUT", f"{BASE}/pe/a", data="{nope")
    assert r.status_code == 400 and r.json()["description"].startswith("Unable to process JSON")
    assert_error(call(gateway, token, "PUT", "pe/a", {"b.c": 1}), 400,
                 "Array paths contained in square brackets, periods, single quotes, and "
                 "backslash are not allowed in field names, invalid field b.c")
    assert_error(call(gateway, token, "PUT", "pe/a/[bad]", {"b": 1}), 400,
                 "Array path [bad] is not valid.")
    deep = "/".join(["k"] * 64)
    assert_error(call(gateway, token, "PUT", f"pe/{deep}", {"b": 1}), 400,
                 "Max depth of 64 exceeded.")
    assert_error(api(gateway, token, "PUT", f"/v2/namespaces/{NS}x/collections/{COLL}/pe/a",
                     data="1"), 404, f"Unknown namespace {NS}x, you must create it first.")
    assert call(gateway, token, "GET", "pe").status_code == 404


def test_put_path_creates_collection(gateway, token, driver, ns):
    r = api(gateway, token, "PUT", f"/v2/namespaces/{NS}/collections/made/m/a", data="1")
    assert r.status_code == 200, r.text
    r = api(gateway, token, "GET", f"/v2/namespaces/{NS}/collections/made/m",
            params={"raw": "true"})
    assert r.json() == {"a": 1}


# ---- PATCH ---------------------------------------------------------------------------------------

def test_patch_root_is_shallow_merge(gateway, token, driver, ns):
    put(gateway, token, "pa", {"a": 1, "b": {"c": 2, "k": 3}, "d": [1, 2]})
    r = call(gateway, token, "PATCH", "pa", {"b": {"x": 1}, "e": None})
    assert r.status_code == 200, r.text
    assert r.json() == {"documentId": "pa"}
    assert doc_of(gateway, token, "pa") == {"a": 1, "b": {"x": 1}, "d": [1, 2], "e": None}
    assert layout(driver, "pa") == {("a",): 1.0, ("b", "x"): 1.0, ("d", "[000000]"): 1.0,
                                    ("d", "[000001]"): 2.0, ("e",): None}


def test_patch_path(gateway, token, driver, ns):
    put(gateway, token, "pp", {"a": 1, "d": [1, 2], "o": {"k": 1, "l": {"m": 2}}})
    assert call(gateway, token, "PATCH", "pp/d", {"k": 1}).status_code == 200
    assert call(gateway, token, "PATCH", "pp/o", {"l": [3]}).status_code == 200
    assert call(gateway, token, "PATCH", "pp/a", 7).status_code == 200
    assert call(gateway, token, "PATCH", "pp/new/[1]", {"q": "r"}).status_code == 200
    assert doc_of(gateway, token, "pp") == {"a": 7, "d": {"k": 1}, "new": [None, {"q": "r"}],
                                             "o": {"k": 1, "l": [3]}}
    assert layout(driver, "pp") == {("a",): 7.0, ("d", "k"): 1.0, ("new", "[000001]", "q"): "r",
                                    ("o", "k"): 1.0, ("o", "l", "[000000]"): 3.0}


def test_patch_errors(gateway, token, ns):
    put(gateway, token, "perr", {"a": 1})
    for path in ("perr", "perr/a"):
        assert_error(call(gateway, token, "PATCH", path, [1]), 400,
                     "A patch operation must be done with a JSON object, not an array.")
        assert_error(call(gateway, token, "PATCH", path, {}), 400,
                     "A patch operation must be done with a non-empty JSON object.")
        assert_error(call(gateway, token, "PATCH", path), 400,
                     "Request invalid: payload must not be empty.")
    assert_error(call(gateway, token, "PATCH", "perr", 5), 400,
                 "Updating a key with just a JSON primitive is not allowed. Hint: update the "
                 "parent path with a defined object instead.")
    assert_error(call(gateway, token, "PATCH", "perr", {"": 1}), 400,
                 "JSON objects containing empty field names are not supported at the moment.")
    assert doc_of(gateway, token, "perr") == {"a": 1}


# ---- DELETE of a path ----------------------------------------------------------------------------

def test_delete_path(gateway, token, driver, ns):
    put(gateway, token, "dp", {"a": {"b": 1, "c": 2}, "arr": [1, 2, 3]})
    r = call(gateway, token, "DELETE", "dp/a/b")
    assert r.status_code == 204 and r.text == ""
    assert call(gateway, token, "DELETE", "dp/arr/[1]").status_code == 204
    assert doc_of(gateway, token, "dp") == {"a": {"c": 2}, "arr": [1, None, 3]}
    assert call(gateway, token, "DELETE", "dp/arr/[2]").status_code == 204
    assert call(gateway, token, "DELETE", "dp/nothing/here").status_code == 204
    assert doc_of(gateway, token, "dp") == {"a": {"c": 2}, "arr": [1]}
    assert layout(driver, "dp") == {("a", "c"): 2.0, ("arr", "[000000]"): 1.0}
    assert_error(api(gateway, token, "DELETE", f"/v2/namespaces/{NS}/collections/nocoll/dp/a"),
                 404, "Collection 'nocoll' not found.")


# ---- built-in functions --------------------------------------------------------------------------

def fn(gw, token, path, body=NOBODY, **params):
    return call(gw, token, "POST", f"{path}/function", body, **params)


def test_push_and_pop(gateway, token, driver, ns):
    put(gateway, token, "f", {"arr": [1, 2], "o": {"x": 1}})
    r = fn(gateway, token, "f/arr", {"operation": "$push", "value": {"n": [True]}})
    assert r.status_code == 200, r.text
    assert r.json() == {"documentId": "f", "data": [1, 2, {"n": [True]}]}
    r = fn(gateway, token, "f/arr", {"operation": "$push"}, raw="true")
    assert r.json() == [1, 2, {"n": [True]}, None]
    assert layout(driver, "f")[("arr", "[000002]", "n", "[000000]")] is True
    r = fn(gateway, token, "f/arr", {"operation": "$pop"})
    assert r.json() == {"documentId": "f", "data": None}
    r = fn(gateway, token, "f/arr", {"operation": "$pop"}, raw="true")
    assert r.json() == {"n": [True]}
    assert doc_of(gateway, token, "f") == {"arr": [1, 2], "o": {"x": 1}}
    fn(gateway, token, "f/arr", {"operation": "$pop"})
    fn(gateway, token, "f/arr", {"operation": "$pop"})
    assert doc_of(gateway, token, "f/arr") == []
    assert layout(driver, "f") == {("arr",): EMPTY_ARRAY, ("o", "x"): 1.0}
    assert_error(fn(gateway, token, "f/arr", {"operation": "$pop"}), 400,
                 "No data available to pop.")
    assert_error(fn(gateway, token, "f/o", {"operation": "$push", "value": 1}), 400,
                 'The path provided to push to has no array, found {"x":1}.')
    assert_error(fn(gateway, token, "f/o/x", {"operation": "$pop"}), 400,
                 "The path provided to pop from has no array, found 1.")


def test_functions_at_root_and_ttl_auto(gateway, token, driver, ns):
    r = call(gateway, token, "PUT", "root", [1], ttl=1000)
    assert r.status_code == 200, r.text
    r = fn(gateway, token, "root", {"operation": "$push", "value": "two"})
    assert r.json() == {"documentId": "root", "data": [1, "two"]}
    ttls = [row.ttl for row in rows_of(driver, NS, COLL, "root")]
    assert len(ttls) == 2 and all(t is not None and 0 < t <= 1000 for t in ttls)


def test_set(gateway, token, driver, ns):
    """$set writes like PUT at each path without ttl-auto: the new rows never expire."""
    put(gateway, token, "s", {"a": {"b": 1, "keep": 2}}, ttl=800)
    r = fn(gateway, token, "s/a", {"operation": "$set", "value": {"b.c": 5, "l.[1]": "z"}})
    assert r.status_code == 200, r.text
    assert r.json() == {"documentId": "s", "data": {}}
    assert doc_of(gateway, token, "s") == {"a": {"b": {"c": 5}, "keep": 2, "l": [None, "z"]}}
    # $set deletes the subtree of each key's own path (a.b.c), so the old scalar row at a.b
    # stays, shadowed by the newer rows below it, as Stargate leaves it
    assert layout(driver, "s") == {("a", "b"): 1.0, ("a", "b", "c"): 5.0, ("a", "keep"): 2.0,
                                   ("a", "l", "[000001]"): "z"}
    ttl = {tuple(path_of(row)): row.ttl for row in rows_of(driver, NS, COLL, "s")}
    assert ttl[("a", "b", "c")] is None and ttl[("a", "l", "[000001]")] is None
    assert 0 < ttl[("a", "keep")] <= 800


def test_function_errors(gateway, token, ns):
    put(gateway, token, "fe", {"arr": [1]})
    msg = "Request invalid: available built-in functions are [$pop, $push, $set]."
    assert_error(fn(gateway, token, "fe/arr", {"operation": "$shift"}), 400, msg)
    assert_error(fn(gateway, token, "fe/arr", {"value": 1}), 400, msg)
    assert_error(fn(gateway, token, "fe/arr", [1]), 400, msg)
    assert_error(fn(gateway, token, "fe/arr"), 400, "Request invalid: payload not provided.")
    assert_error(fn(gateway, token, "fe/arr", None), 400, msg)
    assert_error(fn(gateway, token, "nodoc/arr", {"operation": "$pop"}), 404,
                 not_found("nodoc", "arr"))
    assert_error(fn(gateway, token, "nodoc", {"operation": "$pop"}), 404,
                 "A document with the id nodoc does not exist.")
    assert_error(fn(gateway, token, "fe/none", {"operation": "$push", "value": 1}), 404,
                 not_found("fe", "none"))
    for value in (3, {}, NOBODY):
        body = {"operation": "$set"} if value is NOBODY else {"operation": "$set", "value": value}
        assert_error(fn(gateway, token, "fe", body), 400,
                     "The $set operation requires a non-empty JSON object of paths and values.")
    assert call(gateway, token, "POST", "fe/arr/other", {"operation": "$pop"}).status_code == 405
    assert_error(api(gateway, token, "POST", f"/v2/namespaces/{NS}/collections/nocoll/fe/function",
                     {"operation": "$pop"}), 404, "Collection 'nocoll' not found.")
    assert doc_of(gateway, token, "fe") == {"arr": [1]}


# ---- batch write ---------------------------------------------------------------------------------

def test_batch_random_ids(gateway, token, driver, ns):
    docs = [{"n": i} for i in range(5)]
    r = api(gateway, token, "POST", f"{BASE}/batch", docs)
    assert r.status_code == 202, r.text
    ids = r.json()["documentIds"]
    assert len(set(ids)) == 5
    assert sorted(doc_of(gateway, token, i)["n"] for i in ids) == list(range(5))
    assert layout(driver, ids[0]) == {("n",): float(doc_of(gateway, token, ids[0])["n"])}


def test_batch_id_path(gateway, token, driver, ns):
    put(gateway, token, "b1", {"old": True})
    docs = [{"id": "b1", "v": 1}, {"id": 2, "v": 2}, {"id": True, "v": 3}]
    r = api(gateway, token, "POST", f"{BASE}/batch", docs, params={"id-path": "id", "ttl": 500})
    assert r.status_code == 202, r.text
    assert sorted(r.json()["documentIds"]) == ["2", "b1", "true"]
    assert doc_of(gateway, token, "b1") == {"id": "b1", "v": 1}
    assert doc_of(gateway, token, "true") == {"id": True, "v": 3}
    assert all(0 < row.ttl <= 500 for row in rows_of(driver, NS, COLL, "2"))
    r = api(gateway, token, "POST", f"{BASE}/batch", [{"a": {"b": [{"k": "nested"}]}}],
            params={"id-path": "a.b.[0].k"})
    assert r.json() == {"documentIds": ["nested"]}


def test_batch_errors(gateway, token, ns):
    url = f"{BASE}/batch"
    assert_error(api(gateway, token, "POST", url, {"a": 1}), 400,
                 "The payload for the batched document write must be a JSON array.")
    assert_error(api(gateway, token, "POST", url, [{"id": "x"}, {"id": "x"}],
                     params={"id-path": "id"}), 400,
                 "Found duplicate ID x in more than one document when doing batched document "
                 "write.")
    assert_error(api(gateway, token, "POST", url, [{"id": "y"}, {"other": 1}],
                     params={"id-path": "id"}), 400,
                 'JSON document {"other":1} requires a scalar value at the path /id in order to '
                 "resolve document ID, found missing node. Batch write failed.")
    assert_error(api(gateway, token, "POST", url, [{"a": {"b": {"c": 1}}}],
                     params={"id-path": "a.b"}), 400,
                 'JSON document {"a":{"b":{"c":1}}} requires a scalar value at the path /a/b in '
                 'order to resolve document ID, found {"c":1}. Batch write failed.')
    assert_error(api(gateway, token, "POST", url, [{"k": 1}], params={"ttl": 0}), 400,
                 "Request invalid: TTL value must be a positive integer.")
    assert_error(api(gateway, token, "POST", url, [{"k": 1}, 5]), 400,
                 "Updating a key with just a JSON primitive is not allowed. Hint: update the "
                 "parent path with a defined object instead.")
    assert_error(api(gateway, token, "POST", url), 400,
                 "Request invalid: payload must not be empty.")
    assert call(gateway, token, "GET", "y").status_code == 404


# ---- ttl-auto ------------------------------------------------------------------------------------

def test_ttl_auto(gateway, token, driver, ns):
    r = call(gateway, token, "PUT", "t", {"a": 1}, ttl=900)
    assert r.status_code == 200, r.text
    put(gateway, token, "t/b", {"c": 1}, **{"ttl-auto": "true"})
    put(gateway, token, "t/d", 2)
    assert call(gateway, token, "PATCH", "t", {"e": 3}, **{"ttl-auto": "true"}).status_code == 200
    ttl = {tuple(path_of(row)): row.ttl for row in rows_of(driver, NS, COLL, "t")}
    assert 0 < ttl[("b", "c")] <= 900 and 0 < ttl[("e",)] <= 900
    assert ttl[("d",)] is None


# ---- concurrency ---------------------------------------------------------------------------------

def test_concurrent_puts_leave_one_whole_document(gateway, token, driver, ns):
    """20 PUTs of different documents to one id at once: the read is exactly one of them, and the
    rows hold no mixture (each document's leaves are under its own key)."""
    versions = [{f"k{i}": {"v": i, "list": list(range(i % 4 + 1))}} for i in range(20)]

    def one(doc):
        return requests.put(gateway.url(f"{BASE}/race"), data=json.dumps(doc),
                            headers={"X-Cassandra-Token": token}, timeout=60).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as ex:
        assert list(ex.map(one, versions)) == [200] * 20
    got = doc_of(gateway, token, "race")
    assert got in versions
    keys = {path_of(row)[0] for row in rows_of(driver, NS, COLL, "race")}
    assert keys == set(got)


# ---- grants and tokens ---------------------------------------------------------------------------

@pytest.fixture
def roles(gateway, driver, ns):
    """docs2_it_reader (SELECT on the collection) and docs2_it_writer (MODIFY on the namespace)."""
    grants = {"docs2_it_reader": f"GRANT SELECT ON TABLE {NS}.{COLL} TO docs2_it_reader",
              "docs2_it_writer": f"GRANT MODIFY ON KEYSPACE {NS} TO docs2_it_writer"}
    for role, grant in grants.items():
        driver.execute(f"DROP ROLE IF EXISTS {role}")
        driver.execute(f"CREATE ROLE {role} WITH LOGIN = true AND PASSWORD = 'pw-docs2'")
        driver.execute(grant)
    yield {role: get_token(gateway, role, "pw-docs2") for role in grants}
    for role in grants:
        driver.execute(f"DROP ROLE IF EXISTS {role}")


def test_grants(gateway, token, ns, roles):
    put(gateway, token, "gr", {"arr": [1], "o": {"k": 1}})
    reader, writer = roles["docs2_it_reader"], roles["docs2_it_writer"]
    no_modify = f"has no MODIFY permission on <table {NS}.{COLL}>"
    no_select = f"has no SELECT permission on <table {NS}.{COLL}>"
    assert doc_of(gateway, reader, "gr/o") == {"k": 1}
    for method, path, body in (("PUT", "gr/o", 1), ("PATCH", "gr", {"a": 1}),
                               ("PATCH", "gr/o", {"a": 1}), ("DELETE", "gr/o", NOBODY),
                               ("POST", "gr/arr/function", {"operation": "$pop"})):
        r = call(gateway, reader, method, path, body)
        assert r.status_code == 401 and no_modify in r.json()["description"], (method, r.text)
    r = api(gateway, reader, "POST", f"{BASE}/batch", [{"a": 1}])
    assert r.status_code == 401 and no_modify in r.json()["description"], r.text
    assert call(gateway, writer, "PATCH", "gr/o", {"a": 1}).status_code == 200
    r = fn(gateway, writer, "gr/arr", {"operation": "$pop"})
    assert r.status_code == 401 and no_select in r.json()["description"], r.text
    r = call(gateway, writer, "GET", "gr/o")
    assert r.status_code == 401 and no_select in r.json()["description"], r.text
    assert doc_of(gateway, token, "gr") == {"arr": [1], "o": {"a": 1, "k": 1}}


def test_tokens_required(gateway, ns):
    for method, path in (("GET", "x/a"), ("PUT", "x/a"), ("PATCH", "x"), ("PATCH", "x/a"),
                         ("DELETE", "x/a"), ("POST", "x/function"), ("POST", "batch")):
        r = requests.request(method, gateway.url(f"{BASE}/{path}"), data="{}", timeout=30)
        assert_error(r, 401, "Role unauthorized for operation: Missing token, expecting one in "
                     "the X-Cassandra-Token header.")


def steps_of(profile):
    """[(description, [(cql, executionCount, rowCount), ..]), ..] of a write's profile."""
    assert profile["description"] == "root"
    assert profile["queries"] == []
    out = []
    for step in profile["nested"]:
        assert step["nested"] == []
        out.append((step["description"],
                    [(q["cql"], q["executionCount"], q["rowCount"]) for q in step["queries"]]))
    return out


def insert_of(driver, key):
    """The INSERT a batch ran for the document KEY: its text, and once per row the driver finds."""
    n = len(rows_of(driver, NS, COLL, key))
    return (f'INSERT INTO "{NS}"."{COLL}" (key, ' + ", ".join(f"p{i}" for i in range(64))
            + ", leaf, text_value, dbl_value, bool_value) VALUES (" + ", ".join(["?"] * 69)
            + ") USING TIMESTAMP ?", n, n)


def test_profiles(gateway, token, driver, ns):
    """profile=true on every write and on a read lists the statements each ran, as Stargate's
    steps; without it, or with DELETE's empty answer, there is none."""
    coll = f"/v2/namespaces/{NS}/collections/{COLL}"
    r = api(gateway, token, "POST", coll, data='{"a":1,"b":{"c":[1,2]}}',
            params={"profile": "true"})
    assert r.status_code == 201, r.text
    new_id = r.json()["documentId"]
    assert steps_of(r.json()["profile"]) == [("ASYNC INSERT", [insert_of(driver, new_id)])]
    assert list(r.json()) == ["documentId", "profile"]

    r = call(gateway, token, "PUT", "pf", {"a": 1, "b": {"c": [1, 2]}}, profile="TRUE")
    assert r.status_code == 200, r.text
    (desc, queries), = steps_of(r.json()["profile"])
    assert desc == "ASYNC UPDATE"
    assert queries == [insert_of(driver, "pf"),
                       (f'DELETE FROM "{NS}"."{COLL}" USING TIMESTAMP ? WHERE key = ?', 1, 1)]

    r = call(gateway, token, "PUT", "pf/b", {"x": "y"}, profile="true")
    (desc, queries), = steps_of(r.json()["profile"])
    assert desc == "ASYNC UPDATE"
    assert [q[1:] for q in queries] == [(1, 1), (1, 1)]
    assert queries[0][0].startswith("INSERT INTO")         # equal counts: text descending
    assert queries[1][0] == (f'DELETE FROM "{NS}"."{COLL}" USING TIMESTAMP ? WHERE key = ? '
                             'AND p0 = ?')

    r = call(gateway, token, "PATCH", "pf", {"a": 2, "d": [True, False]}, profile="true")
    (desc, queries), = steps_of(r.json()["profile"])
    assert desc == "ASYNC PATCH"
    assert ("INSERT" in queries[0][0], queries[0][1:]) == (True, (3, 3))
    assert all(q[0].startswith("DELETE") and q[1:] == (1, 1) for q in queries[1:])
    assert doc_of(gateway, token, "pf") == {"a": 2, "b": {"x": "y"}, "d": [True, False]}

    r = call(gateway, token, "POST", "pf/d/function", {"operation": "$push", "value": 3},
             profile="true")
    assert r.status_code == 200, r.text
    assert r.json()["data"] == [True, False, 3]
    (read, rq), (write, wq) = steps_of(r.json()["profile"])
    assert (read, write) == ("GetFullDocument", "ASYNC UPDATE")
    assert rq[0][0].startswith("SELECT key, p0") and rq[0][1:] == (1, 2)    # the two old rows
    assert [q[1:] for q in wq] == [(3, 3), (1, 1)]

    r = call(gateway, token, "POST", "pf/function", {"operation": "$set", "value": {"s": 1}},
             profile="true")
    assert [d for d, _ in steps_of(r.json()["profile"])] == ["ASYNC SET"]

    r = call(gateway, token, "GET", "pf", profile="true")
    (desc, queries), = steps_of(r.json()["profile"])
    n = len(rows_of(driver, NS, COLL, "pf"))
    assert desc == "GetFullDocument" and queries[0][1:] == (1, n)
    assert list(r.json()) == ["documentId", "data", "profile"]
    assert "profile" not in call(gateway, token, "GET", "pf", profile="true", raw="true").json()
    assert "profile" not in call(gateway, token, "GET", "pf").json()
    assert "profile" not in call(gateway, token, "GET", "pf", profile="false").json()

    r = api(gateway, token, "POST", f"{coll}/batch", data='[{"i":"b1","v":1},{"i":"b2"}]',
            params={"profile": "true", "id-path": "i"})
    assert r.status_code == 202, r.text
    steps = steps_of(r.json()["profile"])
    assert [d for d, _ in steps] == ["ASYNC UPDATE", "ASYNC UPDATE"]
    assert sorted(q[0][1] for _, q in steps) == [1, 2]         # b2's one row, b1's two
    r = api(gateway, token, "POST", f"{coll}/batch", data='[{"v":1}]', params={"profile": "true"})
    assert [d for d, _ in steps_of(r.json()["profile"])] == ["ASYNC INSERT"]

    r = call(gateway, token, "DELETE", "pf", profile="true")
    assert r.status_code == 204 and r.content == b""
