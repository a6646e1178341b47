"""REST v2 index and user-defined type endpoints (spec/rest-v2.md 3.4, 3.5, 6.4, 6.5) on the real
binary against the real Cassandra, checked with the Python driver through system_schema.indexes
and system_schema.types: regular, SAI and map-entry indexes, their GET shapes, drops, every
listed error, type create, read, update and drop, and option or name text that tries to smuggle
CQL."""

import pytest
import requests

KSN = "rest_idx_ks"
TABLES = f"/v2/schemas/keyspaces/{KSN}/tables"
INDEXES = f"{TABLES}/items/indexes"
TYPES = f"/v2/schemas/keyspaces/{KSN}/types"
INVALID = "Invalid argument for gRPC operation (Status.Code.INVALID_ARGUMENT->400): INVALID_ARGUMENT: "


def api(gw, token, method, path, body=None, params=None):
    return requests.request(method, gw.url(path), json=body, params=params,
                            headers={"X-Cassandra-Token": token}, timeout=60)


def assert_error(r, status, description, grpc=None):
    assert r.status_code == status, r.text
    assert r.json() == {"description": description, "code": status, "grpcStatus": grpc,
                        "internalTxId": None}


def indexes(driver, table="items"):
    rows = driver.execute("SELECT index_name, kind, options FROM system_schema.indexes WHERE "
                          "keyspace_name = %s AND table_name = %s", [KSN, table])
    return {r.index_name: (r.kind, dict(r.options)) for r in rows}


def types(driver):
    rows = driver.execute("SELECT type_name, field_names, field_types FROM system_schema.types "
                          "WHERE keyspace_name = %s", [KSN])
    return {r.type_name: list(zip(r.field_names, r.field_types)) for r in rows}


@pytest.fixture(scope="module")
def ks(gateway, token, driver):
    driver.execute(f"DROP KEYSPACE IF EXISTS {KSN}")
    r = api(gateway, token, "POST", "/v2/schemas/keyspaces", {"name": KSN})
    assert r.status_code == 201, r.text
    driver.execute(f"CREATE TABLE {KSN}.items (id int PRIMARY KEY, email text, age int, "
                   "attrs map<text, text>, tags set<text>, note text)")
    # the driver's DDL reaches the gateway's snapshot through a reload: a REST DDL forces one
    r = api(gateway, token, "POST", "/v2/schemas/keyspaces", {"name": KSN})
    assert r.status_code == 201, r.text
    yield KSN
    driver.execute(f"DROP KEYSPACE IF EXISTS {KSN}")


# ---- indexes -------------------------------------------------------------------------------------

def test_index_regular_and_get(gateway, token, driver, ks):
    r = api(gateway, token, "POST", INDEXES, {"column": "age", "name": "age_idx"})
    assert r.status_code == 201, r.text
    assert r.json() == {"success": True}
    assert indexes(driver)["age_idx"] == ("COMPOSITES", {"target": "age"})
    r = api(gateway, token, "GET", INDEXES)
    assert r.status_code == 200, r.text
    got = [i for i in r.json() if i["index_name"] == "age_idx"]
    assert got == [{"keyspace_name": KSN, "table_name": "items", "index_name": "age_idx",
                    "kind": "COMPOSITES", "options": {"target": "age"}}]
    r = api(gateway, token, "GET", INDEXES, params={"compactMapData": "false"})
    got = [i for i in r.json() if i["index_name"] == "age_idx"]
    assert got[0]["options"] == [{"key": "target", "value": "age"}]
    # existing without ifNotExists: Cassandra's error, 400; with it: 201
    r = api(gateway, token, "POST", INDEXES, {"column": "age", "name": "age_idx"})
    assert r.status_code == 400, r.text
    assert r.json()["grpcStatus"] == "INVALID_ARGUMENT"
    r = api(gateway, token, "POST", INDEXES, {"column": "age", "name": "age_idx",
                                              "ifNotExists": True})
    assert r.status_code == 201, r.text


def test_index_sai(gateway, token, driver, ks):
    r = api(gateway, token, "POST", INDEXES, {"column": "email", "name": "email_sai",
                                              "type": "StorageAttachedIndex",
                                              "options": {"case_sensitive": "false"}})
    assert r.status_code == 201, r.text
    kind, opts = indexes(driver)["email_sai"]
    assert kind == "CUSTOM"
    assert opts["target"] == "email"
    assert opts["case_sensitive"] == "false"
    assert opts["class_name"].endswith("StorageAttachedIndex")
    r = api(gateway, token, "GET", INDEXES)
    got = [i for i in r.json() if i["index_name"] == "email_sai"][0]
    assert got["kind"] == "CUSTOM" and got["options"]["case_sensitive"] == "false"


@pytest.mark.parametrize("kind,target", [("KEYS", "keys(attrs)"), ("ENTRIES", "entries(attrs)")])
def test_index_map_kinds(gateway, token, driver, ks, kind, target):
    name = f"attrs_{kind.lower()}"
    r = api(gateway, token, "POST", INDEXES, {"column": "attrs", "name": name, "kind": kind,
                                              "type": "StorageAttachedIndex"})
    assert r.status_code == 201, r.text
    assert indexes(driver)[name][1]["target"] == target
    r = api(gateway, token, "DELETE", f"{INDEXES}/{name}")
    assert r.status_code == 204, r.text
    assert name not in indexes(driver)


def test_index_default_name_and_values(gateway, token, driver, ks):
    r = api(gateway, token, "POST", INDEXES, {"column": "tags", "kind": "VALUES"})
    assert r.status_code == 201, r.text
    assert indexes(driver)["items_tags_idx"][1]["target"] == "values(tags)"
    names = [i["index_name"] for i in api(gateway, token, "GET", INDEXES).json()]
    assert "items_tags_idx" in names


def test_index_errors(gateway, token, driver, ks):
    before = indexes(driver)
    assert_error(api(gateway, token, "POST", INDEXES, {"name": "x"}), 400,
                 "Request invalid: IndexAddRequest.column must be provided.")
    assert_error(api(gateway, token, "POST", INDEXES, {"column": " "}), 400,
                 "Request invalid: IndexAddRequest.column must be provided.")
    assert_error(api(gateway, token, "POST", INDEXES, {"column": "nope"}), 404,
                 "Column 'nope' not found in table 'items'")
    assert_error(api(gateway, token, "POST", f"{TABLES}/nope/indexes", {"column": "age"}), 400,
                 f"Table 'nope' not found (in keyspace {KSN})")
    assert_error(api(gateway, token, "POST", INDEXES, {"column": "age",
                                                       "options": {"a": "b"}}), 400,
                 "Index 'type' must be specified if 'options' are specified")
    r = api(gateway, token, "POST", INDEXES, {"column": "attrs", "kind": "keys"})
    assert r.status_code == 400 and r.json()["grpcStatus"] == "INVALID_ARGUMENT", r.text
    r = api(gateway, token, "POST", INDEXES, {"column": "attrs", "kind": "KEYS) ; DROP"})
    assert r.status_code == 400, r.text
    assert indexes(driver) == before
    assert_error(api(gateway, token, "GET", f"{TABLES}/nope/indexes"), 400,
                 f"Table 'nope' not found (in keyspace {KSN})")
    assert_error(api(gateway, token, "GET", "/v2/schemas/keyspaces/no_such_ks_idx/tables/t/"
                                            "indexes"), 400,
                 "Keyspace 'no_such_ks_idx' not found")


def test_index_delete(gateway, token, driver, ks):
    r = api(gateway, token, "POST", INDEXES, {"column": "note", "name": "note_idx"})
    assert r.status_code == 201, r.text
    r = api(gateway, token, "DELETE", f"{INDEXES}/note_idx")
    assert r.status_code == 204, r.text
    assert "note_idx" not in indexes(driver)
    assert "note_idx" not in [i["index_name"] for i in api(gateway, token, "GET", INDEXES).json()]
    r = api(gateway, token, "DELETE", f"{INDEXES}/note_idx")
    assert r.status_code == 400, r.text
    assert r.json()["grpcStatus"] == "INVALID_ARGUMENT"
    r = api(gateway, token, "DELETE", f"{INDEXES}/note_idx", params={"ifExists": "true"})
    assert r.status_code == 204, r.text
    assert_error(api(gateway, token, "DELETE", f"{TABLES}/nope/indexes/note_idx"), 400,
                 f"Table 'nope' not found (in keyspace {KSN})")


def test_index_hostile_text(gateway, token, driver, ks):
    tables = {r.table_name for r in driver.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", [KSN])}
    before = indexes(driver)
    evil = "x'}; DROP KEYSPACE rest_idx_ks; --"
    # text that would end the statement if pasted reaches Cassandra as one name or literal, and
    # Cassandra refuses it as such
    for body in [{"column": "note", "name": 'ev"il; DROP TABLE x'},
                 {"column": "email", "name": "evil_opt", "type": "StorageAttachedIndex",
                  "options": {"mode": evil}},
                 {"column": "email", "name": "evil_key", "type": "StorageAttachedIndex",
                  "options": {evil: "x"}},
                 {"column": "email", "name": "evil_type",
                  "type": "x' WITH OPTIONS = {'a': 'b'}; --"}]:
        r = api(gateway, token, "POST", INDEXES, body)
        assert r.status_code == 400, r.text
    r = api(gateway, token, "POST", INDEXES, {"column": 'email") ; DROP TABLE items; --'})
    assert_error(r, 404, "Column 'email\") ; DROP TABLE items; --' not found in table 'items'")
    assert indexes(driver) == before
    assert {r.table_name for r in driver.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", [KSN])} == tables
    r = api(gateway, token, "DELETE", f"{INDEXES}/ev%22il%3B%20DROP%20TABLE%20x")
    assert r.status_code == 400, r.text
    assert indexes(driver) == before


# ---- user-defined types --------------------------------------------------------------------------

def test_type_create_get(gateway, token, driver, ks):
    r = api(gateway, token, "POST", TYPES, {"name": "addr", "fields": [
        {"name": "street", "typeDefinition": "text"},
        {"name": "extra", "typeDefinition": "frozen<map<text,text>>"},
        {"name": "zip", "typeDefinition": "int"}]})
    assert r.status_code == 201, r.text
    assert r.json() == {"name": "addr"}
    assert types(driver)["addr"] == [("street", "text"), ("extra", "frozen<map<text, text>>"),
                                     ("zip", "int")]
    want = {"name": "addr", "keyspace": KSN, "fields": [
        {"name": "street", "typeDefinition": "text"},
        {"name": "extra", "typeDefinition": "frozen<map<text, text>>"},
        {"name": "zip", "typeDefinition": "int"}]}
    r = api(gateway, token, "GET", f"{TYPES}/addr")
    assert r.status_code == 200 and r.json() == {"data": want}, r.text
    r = api(gateway, token, "GET", f"{TYPES}/addr", params={"raw": "true"})
    assert r.json() == want
    r = api(gateway, token, "POST", TYPES, {"name": "Aaa", "fields": [
        {"name": "a", "typeDefinition": "frozen<addr>"}]})
    assert r.status_code == 201, r.text
    r = api(gateway, token, "GET", TYPES)
    assert r.status_code == 200, r.text
    names = [t["name"] for t in r.json()["data"]]
    assert names == sorted(names) and {"Aaa", "addr"} <= set(names)
    r = api(gateway, token, "GET", TYPES, params={"raw": "true"})
    assert [t["name"] for t in r.json()] == names
    # existing type: Bad request; ifNotExists: 201
    r = api(gateway, token, "POST", TYPES, {"name": "addr", "fields": [
        {"name": "street", "typeDefinition": "text"}]})
    assert r.status_code == 400, r.text
    assert r.json()["description"].startswith("Bad request: ")
    assert "already exists" in r.json()["description"]
    r = api(gateway, token, "POST", TYPES, {"name": "addr", "ifNotExists": True, "fields": [
        {"name": "street", "typeDefinition": "text"}]})
    assert r.status_code == 201, r.text


def test_type_get_missing(gateway, token, ks):
    assert_error(api(gateway, token, "GET", f"{TYPES}/nope"), 404,
                 f"No definition found for UDT 'nope' (keyspace '{KSN}')")
    r = api(gateway, token, "GET", "/v2/schemas/keyspaces/no_such_ks_udt/types")
    assert r.status_code == 200 and r.json() == {"data": []}, r.text


def test_type_create_errors(gateway, token, driver, ks):
    before = types(driver)
    assert_error(api(gateway, token, "POST", TYPES, {"fields": [
        {"name": "a", "typeDefinition": "int"}]}), 400, "typeName must be provided")
    assert_error(api(gateway, token, "POST", TYPES, {"name": "t1", "fields": []}), 400,
                 "There should be at least one field defined")
    assert_error(api(gateway, token, "POST", TYPES, {"name": "t1"}), 400,
                 "There should be at least one field defined")
    assert_error(api(gateway, token, "POST", TYPES, {"name": "t1", "fields": [
        {"name": "a"}]}), 400, "Field 'name' and 'typeDefinition' must be provided")
    assert_error(api(gateway, token, "POST", TYPES, {"name": "t1", "fields": [
        {"typeDefinition": "int"}]}), 400, "Field 'name' and 'typeDefinition' must be provided")
    for bad in ["int) ; DROP KEYSPACE rest_idx_ks --", "int, b text", "nosuchtype<"]:
        r = api(gateway, token, "POST", TYPES, {"name": "t1", "fields": [
            {"name": "a", "typeDefinition": bad}]})
        assert r.status_code == 400, r.text
        assert r.json()["grpcStatus"] == "INVALID_ARGUMENT"
    assert types(driver) == before


def test_type_hostile_name_stored_literally(gateway, token, driver, ks):
    name = 'x" (a int); DROP KEYSPACE rest_idx_ks; --'
    r = api(gateway, token, "POST", TYPES, {"name": name, "fields": [
        {"name": "b'); --", "typeDefinition": "int"}]})
    assert r.status_code == 201, r.text
    assert types(driver)[name] == [("b'); --", "int")]
    r = api(gateway, token, "DELETE", f"{TYPES}/" + requests.utils.quote(name, safe=""))
    assert r.status_code == 204, r.text
    assert name not in types(driver)


def test_type_update(gateway, token, driver, ks):
    r = api(gateway, token, "POST", TYPES, {"name": "upd", "fields": [
        {"name": "a", "typeDefinition": "int"}]})
    assert r.status_code == 201, r.text
    r = api(gateway, token, "PUT", TYPES, {"name": "upd", "addFields": [
        {"name": "b", "typeDefinition": "text"}, {"name": "c", "typeDefinition": "frozen<list< int >>"}]})
    assert r.status_code == 200 and r.content == b"", r.text
    assert types(driver)["upd"] == [("a", "int"), ("b", "text"), ("c", "frozen<list<int>>")]
    r = api(gateway, token, "PUT", TYPES, {"name": "upd", "renameFields": [
        {"from": "a", "to": "a2"}, {"from": "b", "to": "b2"}],
        "addFields": [{"name": "d", "typeDefinition": "int"}]})
    assert r.status_code == 200, r.text
    assert types(driver)["upd"] == [("a2", "int"), ("b2", "text"), ("c", "frozen<list<int>>"),
                                    ("d", "int")]
    r = api(gateway, token, "GET", f"{TYPES}/upd", params={"raw": "true"})
    assert [f["name"] for f in r.json()["fields"]] == ["a2", "b2", "c", "d"]
    # adding an existing field: Cassandra's error
    r = api(gateway, token, "PUT", TYPES, {"name": "upd", "addFields": [
        {"name": "d", "typeDefinition": "int"}]})
    assert r.status_code == 400 and r.json()["grpcStatus"] == "INVALID_ARGUMENT", r.text
    # a failure after an applied ALTER: the error, and the applied part visible at once
    r = api(gateway, token, "PUT", TYPES, {"name": "upd", "addFields": [
        {"name": "e", "typeDefinition": "int"}, {"name": "e", "typeDefinition": "int"}]})
    assert r.status_code == 400 and r.json()["grpcStatus"] == "INVALID_ARGUMENT", r.text
    r = api(gateway, token, "GET", f"{TYPES}/upd", params={"raw": "true"})
    assert [f["name"] for f in r.json()["fields"]] == ["a2", "b2", "c", "d", "e"]
    assert_error(api(gateway, token, "PUT", TYPES, {"name": "upd"}), 400,
                 "addFields and/or renameFields is required to update an UDT")
    assert_error(api(gateway, token, "PUT", TYPES, {"addFields": [
        {"name": "e", "typeDefinition": "int"}]}), 400, "typeName must be provided")
    assert_error(api(gateway, token, "PUT", TYPES, {"name": "upd", "addFields": [
        {"name": "e"}]}), 400, "Field 'name' and 'typeDefinition' must be provided")
    r = api(gateway, token, "PUT", TYPES, {"name": "upd", "addFields": [
        {"name": "e", "typeDefinition": "int; DROP TYPE upd"}]})
    assert r.status_code == 400 and r.json()["grpcStatus"] == "INVALID_ARGUMENT", r.text
    assert [f for f, _ in types(driver)["upd"]] == ["a2", "b2", "c", "d", "e"]


def test_type_delete(gateway, token, driver, ks):
    r = api(gateway, token, "POST", TYPES, {"name": "used", "fields": [
        {"name": "a", "typeDefinition": "int"}]})
    assert r.status_code == 201, r.text
    r = api(gateway, token, "POST", TABLES, {"name": "uses", "columnDefinitions": [
        {"name": "id", "typeDefinition": "int"}, {"name": "u", "typeDefinition": "frozen<used>"}],
        "primaryKey": {"partitionKey": ["id"]}})
    assert r.status_code == 201, r.text
    r = api(gateway, token, "DELETE", f"{TYPES}/used")
    assert r.status_code == 400 and r.json()["grpcStatus"] == "INVALID_ARGUMENT", r.text
    assert "used" in types(driver)
    assert api(gateway, token, "DELETE", f"{TABLES}/uses").status_code == 204
    r = api(gateway, token, "DELETE", f"{TYPES}/used")
    assert r.status_code == 204, r.text
    assert "used" not in types(driver)
    assert api(gateway, token, "GET", f"{TYPES}/used").status_code == 404
    r = api(gateway, token, "DELETE", f"{TYPES}/used")
    assert r.status_code == 204, r.text


def test_token_required(gateway, ks):
    for method, path in [("GET", INDEXES), ("POST", INDEXES), ("DELETE", f"{INDEXES}/i"),
                         ("GET", TYPES), ("GET", f"{TYPES}/t"), ("POST", TYPES),
                         ("PUT", TYPES), ("DELETE", f"{TYPES}/t")]:
        r = requests.request(method, gateway.url(path), json={}, timeout=30)
        assert r.status_code == 401, (method, path, r.text)
