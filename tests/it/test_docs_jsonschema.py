"""Document API v2, the JSON schema of a collection (spec/documents-v2.md 1.2, 2.1, 4): GET and
PUT of .../json-schema, the table comment they read and write (checked with the Python driver,
both ways), the validation of whole-document writes, the refusal of partial updates and the
grants. Every refused write is checked to have left the stored rows as they were."""

import json

import pytest

from conftest import get_token
from test_docs import api, assert_error, create_ns, rows_of, wait_for

NS = "docs_schema_it"
COLL = "s"
PLAIN = "plain"                     # a collection without a schema
NAMES = f"/v2/namespaces/{NS}/collections"
BASE = f"{NAMES}/{COLL}"
PASSWORD = "pw-docs-schema"
ROLES = {
    "docs_schema_reader": [f"GRANT SELECT ON TABLE {NS}.{COLL} TO docs_schema_reader"],
    "docs_schema_alterer": [f"GRANT ALTER ON TABLE {NS}.{COLL} TO docs_schema_alterer"],
}

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "age": {"type": "integer", "minimum": 0},
    },
    "required": ["name"],
}

NOT_SET = "The JSON schema is not set for the collection."
PARTIAL = "When a collection has a JSON schema, partial updates of documents are disallowed " \
          "for performance reasons."
MISSING_NAME = 'Invalid JSON: [object has missing required properties (["name"])]'


def drop_roles(driver):
    for role in ROLES:
        driver.execute(f"DROP ROLE IF EXISTS {role}")


@pytest.fixture(scope="module")
def ns(gateway, token, driver):
    """The namespace with the collections s (given SCHEMA by the first test) and plain."""
    drop_roles(driver)
    driver.execute(f"DROP KEYSPACE IF EXISTS {NS}")
    create_ns(driver, NS)
    wait_for(gateway, token, f"/v2/schemas/namespaces/{NS}")
    for coll in (COLL, PLAIN):
        r = api(gateway, token, "POST", NAMES, {"name": coll})
        assert r.status_code == 201, r.text
    for role, grants in ROLES.items():
        driver.execute(f"CREATE ROLE {role} WITH LOGIN = true AND PASSWORD = '{PASSWORD}'")
        for g in grants:
            driver.execute(g)
    r = api(gateway, token, "PUT", f"{BASE}/json-schema", SCHEMA)
    assert r.status_code == 200, r.text
    yield {role: get_token(gateway, role, PASSWORD) for role in ROLES}
    drop_roles(driver)
    driver.execute(f"DROP KEYSPACE IF EXISTS {NS}")


def comment_of(driver, coll):
    return driver.execute("SELECT comment FROM system_schema.tables WHERE keyspace_name = %s "
                          "AND table_name = %s", [NS, coll]).one().comment


def keys_of(driver, coll=COLL):
    return {r.key for r in driver.execute(f"SELECT DISTINCT key FROM {NS}.{coll}")}


def leaves(driver, key, coll=COLL):
    return sorted((r.leaf, r.text_value, r.dbl_value) for r in rows_of(driver, NS, coll, key))


def put_doc(gw, token, doc_id, doc):
    r = api(gw, token, "PUT", f"{BASE}/{doc_id}", doc)
    assert r.status_code == 200, r.text


# ---- GET and PUT .../json-schema -----------------------------------------------------------------

def test_get_schema_and_comment(gateway, token, driver, ns):
    r = api(gateway, token, "GET", f"{BASE}/json-schema")
    assert r.status_code == 200, r.text
    assert r.json() == {"schema": SCHEMA}
    comment = comment_of(driver, COLL)
    assert comment.startswith('{"schema":{')
    assert json.loads(comment) == {"schema": SCHEMA}


def test_put_answers_and_replaces(gateway, token, driver, ns):
    other = {"type": "object", "description": "it's a 'quoted' text", "minProperties": 1}
    r = api(gateway, token, "PUT", f"{NAMES}/{PLAIN}/json-schema", other)
    assert r.status_code == 200, r.text
    assert r.json() == {"schema": other}
    assert json.loads(comment_of(driver, PLAIN)) == {"schema": other}
    # visible at once: the keyspace was reloaded before the answer
    assert api(gateway, token, "GET", f"{NAMES}/{PLAIN}/json-schema").json() == {"schema": other}
    r = api(gateway, token, "POST", f"{NAMES}/{PLAIN}", {})
    assert r.status_code == 400   # {} has too few properties now
    # set back to no schema with the driver: the collection takes anything again
    driver.execute(f"ALTER TABLE {NS}.{PLAIN} WITH comment = ''")
    wait_for(gateway, token, f"{NAMES}/{PLAIN}/json-schema", status=404)
    assert_error(api(gateway, token, "GET", f"{NAMES}/{PLAIN}/json-schema"), 404, NOT_SET)


def test_get_not_set(gateway, token, driver, ns):
    assert_error(api(gateway, token, "GET", f"{NAMES}/{PLAIN}/json-schema"), 404, NOT_SET)
    # a comment that is not JSON, or JSON without a schema, is no schema
    for comment in ("just words", '{"other": 1}', '{"schema": null}'):
        driver.execute(f"ALTER TABLE {NS}.{PLAIN} WITH comment = %s", [comment])
        r = wait_for(gateway, token, f"{NAMES}/{PLAIN}/json-schema", status=404)
        assert_error(r, 404, NOT_SET)
    driver.execute(f"ALTER TABLE {NS}.{PLAIN} WITH comment = ''")


def test_comment_written_by_stargate_is_served(gateway, token, driver, ns):
    """Stargate writes ALTER TABLE .. WITH comment = '{"schema":..}' with quotes doubled."""
    schema = {"type": "object", "properties": {"q": {"enum": ["it's"]}}}
    text = json.dumps({"schema": schema}, separators=(",", ":")).replace("'", "''")
    driver.execute(f"ALTER TABLE {NS}.{PLAIN} WITH comment = '{text}'")
    r = wait_for(gateway, token, f"{NAMES}/{PLAIN}/json-schema")
    assert r.json() == {"schema": schema}
    r = api(gateway, token, "POST", f"{NAMES}/{PLAIN}", {"q": "no"})
    assert_error(r, 400, 'Invalid JSON: [instance value ("no") not found in enum (possible '
                         'values: ["it\'s"])]')
    r = api(gateway, token, "POST", f"{NAMES}/{PLAIN}", {"q": "it's"})
    assert r.status_code == 201, r.text
    driver.execute(f"ALTER TABLE {NS}.{PLAIN} WITH comment = ''")
    wait_for(gateway, token, f"{NAMES}/{PLAIN}/json-schema", status=404)


def test_not_found(gateway, token, driver, ns):
    for method in ("GET", "PUT"):
        r = api(gateway, token, method, f"/v2/namespaces/nope_ns/collections/c/json-schema",
                SCHEMA)
        assert_error(r, 404, "Unknown namespace nope_ns, you must create it first.")
        r = api(gateway, token, method, f"{NAMES}/nope/json-schema", SCHEMA)
        assert_error(r, 404, "Collection 'nope' not found.")
    driver.execute(f"CREATE TABLE IF NOT EXISTS {NS}.not_docs (k int PRIMARY KEY)")
    wait_for(gateway, token, f"{NAMES}/not_docs/json-schema", status=400)
    r = api(gateway, token, "PUT", f"{NAMES}/not_docs/json-schema", SCHEMA)
    assert_error(r, 400, f"The database table {NS}.not_docs is not a Documents collection. "
                         "Accessing arbitrary tables via the Documents API is not permitted.")


def test_put_empty_or_bad_body(gateway, token, driver, ns):
    before = comment_of(driver, COLL)
    for data in ("", "  ", "null"):
        r = api(gateway, token, "PUT", f"{BASE}/json-schema", data=data)
        assert_error(r, 400, "Request invalid: json schema not provided.")
    r = api(gateway, token, "PUT", f"{BASE}/json-schema", data='{"type": ')
    assert r.status_code == 400
    assert r.json()["description"].startswith("Unable to process JSON: ")
    assert comment_of(driver, COLL) == before


@pytest.mark.parametrize("schema,report", [
    ({"type": "foo"}, '[error]: "foo" is not a valid primitive type (valid values are: [array, '
                      'boolean, integer, null, number, object, string]); '),
    ({"minLength": "1", "required": []},
     "[error]: value has incorrect type (found string, expected one of [integer]); "
     "[error]: array must have at least one element; "),
    ([1], "[error]: JSON value is of type array, not a JSON Schema (expected an object); "),
    ({"$ref": "http://example.com/other.json"},
     '[error]: JSON reference "http://example.com/other.json" is not local to the schema (only '
     '"#..." references are supported); '),
    ({"$ref": "#"}, '[error]: JSON reference "#" is part of a reference loop; '),
    ({"pattern": "("}, '[error]: string "(" is not a valid ECMA 262 regular expression; '),
])
def test_put_invalid_schema(gateway, token, driver, ns, schema, report):
    before = comment_of(driver, COLL)
    assert_error(api(gateway, token, "PUT", f"{BASE}/json-schema", schema), 400, report)
    assert comment_of(driver, COLL) == before


def test_grants(gateway, token, driver, ns):
    reader, alterer = ns["docs_schema_reader"], ns["docs_schema_alterer"]
    assert api(gateway, reader, "GET", f"{BASE}/json-schema").json() == {"schema": SCHEMA}
    r = api(gateway, reader, "PUT", f"{BASE}/json-schema", SCHEMA)
    assert r.status_code == 401, r.text
    assert "has no ALTER permission on <table docs_schema_it.s>" in r.json()["description"]
    r = api(gateway, alterer, "GET", f"{BASE}/json-schema")
    assert r.status_code == 401, r.text
    assert "has no SELECT permission on <table docs_schema_it.s>" in r.json()["description"]
    r = api(gateway, alterer, "PUT", f"{BASE}/json-schema", SCHEMA)
    assert r.status_code == 200, r.text
    assert api(gateway, token, "GET", f"{BASE}/json-schema").status_code == 200
    # without a token
    r = api(gateway, "", "GET", f"{BASE}/json-schema")
    assert r.status_code == 401


def test_literal_route_wins(gateway, token, driver, ns):
    """A document whose id is json-schema cannot be read or put at its root (1.3)."""
    r = api(gateway, token, "PUT", f"{NAMES}/{PLAIN}/json-schema", {"type": "object"})
    assert r.status_code == 200 and r.json() == {"schema": {"type": "object"}}
    assert "json-schema" not in keys_of(driver, PLAIN)
    r = api(gateway, token, "GET", f"{NAMES}/{PLAIN}/json-schema")
    assert r.json() == {"schema": {"type": "object"}}
    driver.execute(f"ALTER TABLE {NS}.{PLAIN} WITH comment = ''")
    wait_for(gateway, token, f"{NAMES}/{PLAIN}/json-schema", status=404)


# ---- enforcement on writes -----------------------------------------------------------------------

def test_post_document(gateway, token, driver, ns):
    before = keys_of(driver)
    r = api(gateway, token, "POST", BASE, {"name": "ann", "age": 3})
    assert r.status_code == 201, r.text
    doc_id = r.json()["documentId"]
    assert keys_of(driver) == before | {doc_id}
    assert_error(api(gateway, token, "POST", BASE, {"age": 3}), 400, MISSING_NAME)
    r = api(gateway, token, "POST", BASE, {"name": "", "age": -1})
    assert_error(r, 400, 'Invalid JSON: [string "" is too short (length: 0, required minimum: '
                         '1), numeric instance is lower than the required minimum (minimum: 0, '
                         'found: -1)]')
    assert_error(api(gateway, token, "POST", BASE, [1, 2]), 400,
                 'Invalid JSON: [instance type (array) does not match any allowed primitive '
                 'type (allowed: ["object"])]')
    assert keys_of(driver) == before | {doc_id}


def test_put_document(gateway, token, driver, ns):
    put_doc(gateway, token, "p1", {"name": "bo", "age": 1})
    old = leaves(driver, "p1")
    assert old == [("age", None, 1.0), ("name", "bo", None)]
    assert_error(api(gateway, token, "PUT", f"{BASE}/p1", {"age": 2}), 400, MISSING_NAME)
    assert_error(api(gateway, token, "PUT", f"{BASE}/p1", {"name": "bo", "age": 1.5}), 400,
                 'Invalid JSON: [instance type (number) does not match any allowed primitive '
                 'type (allowed: ["integer"])]')
    assert leaves(driver, "p1") == old
    assert_error(api(gateway, token, "PUT", f"{BASE}/p2", {"age": 2}), 400, MISSING_NAME)
    assert rows_of(driver, NS, COLL, "p2") == []


def test_batch(gateway, token, driver, ns):
    put_doc(gateway, token, "b1", {"name": "old"})
    old = leaves(driver, "b1")
    docs = [{"id": "b1", "name": "new"}, {"id": "b2", "nick": "x"}, {"id": "b3", "name": "c"}]
    r = api(gateway, token, "POST", f"{BASE}/batch", docs, params={"id-path": "id"})
    assert_error(r, 400, MISSING_NAME)
    assert leaves(driver, "b1") == old
    assert rows_of(driver, NS, COLL, "b2") == [] and rows_of(driver, NS, COLL, "b3") == []
    before = keys_of(driver)
    r = api(gateway, token, "POST", f"{BASE}/batch", [{"name": "x"}, {"age": 1}])
    assert_error(r, 400, MISSING_NAME)
    assert keys_of(driver) == before
    docs[1] = {"id": "b2", "name": "b"}
    r = api(gateway, token, "POST", f"{BASE}/batch", docs, params={"id-path": "id"})
    assert r.status_code == 202, r.text
    assert sorted(r.json()["documentIds"]) == ["b1", "b2", "b3"]
    assert ("name", "new", None) in leaves(driver, "b1")


def test_partial_updates_refused(gateway, token, driver, ns):
    put_doc(gateway, token, "u1", {"name": "al", "tags": [1]})
    old = leaves(driver, "u1")
    for method, path, body in [
            ("PUT", "u1/name", "bo"),
            ("PATCH", "u1/tags", {"a": 1}),
            ("POST", "u1/tags/function", {"operation": "$push", "value": 2}),
            ("POST", "u1/tags/function", {"operation": "$pop"}),
            ("POST", "u1/function", {"operation": "$set", "value": {"name": "x"}})]:
        r = api(gateway, token, method, f"{BASE}/{path}", body)
        assert_error(r, 400, PARTIAL)
    assert leaves(driver, "u1") == old
    # without a schema the same writes go through
    r = api(gateway, token, "PUT", f"{NAMES}/{PLAIN}/u1/name", "bo")
    assert r.status_code == 200, r.text


def test_patch_root_validates_body_alone(gateway, token, driver, ns):
    put_doc(gateway, token, "r1", {"name": "al", "age": 5})
    old = leaves(driver, "r1")
    # the merged document would have a name, but the body alone has none
    assert_error(api(gateway, token, "PATCH", f"{BASE}/r1", {"age": 6}), 400, MISSING_NAME)
    assert_error(api(gateway, token, "PATCH", f"{BASE}/r1", {"name": 1}), 400,
                 'Invalid JSON: [instance type (integer) does not match any allowed primitive '
                 'type (allowed: ["string"])]')
    assert leaves(driver, "r1") == old
    r = api(gateway, token, "PATCH", f"{BASE}/r1", {"name": "zed", "age": 7})
    assert r.status_code == 200, r.text
    assert leaves(driver, "r1") == [("age", None, 7.0), ("name", "zed", None)]


def test_reads_unaffected(gateway, token, driver, ns):
    # a row written behind the schema's back is still served
    driver.execute(f"INSERT INTO {NS}.{COLL} (key, p0, {', '.join(f'p{i}' for i in range(1, 64))}"
                   f", leaf, dbl_value) VALUES ('raw', 'age', {', '.join(['%s'] * 63)}, 'age', 1)",
                   [""] * 63)
    r = api(gateway, token, "GET", f"{BASE}/raw", params={"raw": "true"})
    assert r.status_code == 200, r.text
    assert r.json() == {"age": 1}
    r = api(gateway, token, "GET", BASE, params={"page-size": "20"})
    assert r.status_code == 200 and "raw" in r.json()["data"]
