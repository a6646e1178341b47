"""REST v2 table and column endpoints (spec/rest-v2.md 3.2, 3.3, 6.1, 6.3) on the real binary
against the real Cassandra, checked with the Python driver: create with keys, statics,
collections, user types, vectors and a default TTL; the Table and ColumnDefinition shapes; every
validation error; the TTL update; drops; column add, rename and drop; schema changes made by other
clients; and type text that tries to smuggle CQL."""

import time

import pytest
import requests

KSN = "rest_tbl_ks"
TABLES = f"/v2/schemas/keyspaces/{KSN}/tables"


def api(gw, token, method, path, body=None, data=None, params=None):
    headers = {"X-Cassandra-Token": token}
    if data is not None:
        headers["Content-Type"] = "application/json"
    return requests.request(method, gw.url(path), json=body, data=data, headers=headers,
                            params=params, timeout=30)


def assert_error(r, status, description, grpc=None):
    assert r.status_code == status, r.text
    assert r.json() == {"description": description, "code": status, "grpcStatus": grpc,
                        "internalTxId": None}


def columns(driver, table, ks=KSN):
    rows = driver.execute("SELECT column_name, kind, type, position, clustering_order FROM "
                          "system_schema.columns WHERE keyspace_name = %s AND table_name = %s",
                          [ks, table])
    return {r.column_name: (r.kind, r.type, r.position, r.clustering_order) for r in rows}


def table_row(driver, table, ks=KSN):
    return driver.execute("SELECT default_time_to_live FROM system_schema.tables WHERE "
                          "keyspace_name = %s AND table_name = %s", [ks, table]).one()


def all_tables(driver, ks=KSN):
    return {r.table_name for r in driver.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", [ks])}


@pytest.fixture(scope="module")
def ks(gateway, token, driver):
    driver.execute(f"DROP KEYSPACE IF EXISTS {KSN}")
    r = api(gateway, token, "POST", "/v2/schemas/keyspaces", {"name": KSN})
    assert r.status_code == 201, r.text
    driver.execute(f"CREATE TYPE {KSN}.address (street text, zip int)")
    yield KSN
    driver.execute(f"DROP KEYSPACE IF EXISTS {KSN}")


def create(gw, token, body):
    return api(gw, token, "POST", TABLES, body)


EVENTS = {
    "name": "events",
    "columnDefinitions": [
        {"name": "body", "typeDefinition": "text"},
        {"name": "ts", "typeDefinition": "timeuuid"},
        {"name": "tags", "typeDefinition": "set<text>"},
        {"name": "day", "typeDefinition": "date"},
        {"name": "owner", "typeDefinition": "text", "static": True},
        {"name": "src", "typeDefinition": "varchar"},
        {"name": "scores", "typeDefinition": "map<text,int>"},
        {"name": "hist", "typeDefinition": "frozen<list<int>>"},
        {"name": "pair", "typeDefinition": "tuple<int,text>"},
        {"name": "home", "typeDefinition": "frozen<address>"},
        {"name": "emb", "typeDefinition": "vector<float, 3>"},
        {"name": "seq", "typeDefinition": "int", "static": True},  # key column: no STATIC
    ],
    "primaryKey": {"partitionKey": ["src", "day"], "clusteringKey": ["ts", "seq"]},
    "tableOptions": {"defaultTimeToLive": 3600,
                     "clusteringExpression": [{"column": "ts", "order": "desc"},
                                              {"column": "seq", "order": "Asc"}]},
}

EVENTS_COLUMNS = [
    {"name": "src", "typeDefinition": "text", "static": False},
    {"name": "day", "typeDefinition": "date", "static": False},
    {"name": "ts", "typeDefinition": "timeuuid", "static": False},
    {"name": "seq", "typeDefinition": "int", "static": False},
    {"name": "owner", "typeDefinition": "text", "static": True},
    {"name": "body", "typeDefinition": "text", "static": False},
    {"name": "emb", "typeDefinition": "vector<float, 3>", "static": False},
    {"name": "hist", "typeDefinition": "frozen<list<int>>", "static": False},
    {"name": "home", "typeDefinition": "frozen<udt<address>>", "static": False},
    {"name": "pair", "typeDefinition": "tuple<int, text>", "static": False},
    {"name": "scores", "typeDefinition": "map<text, int>", "static": False},
    {"name": "tags", "typeDefinition": "set<text>", "static": False},
]

EVENTS_TABLE = {
    "name": "events", "keyspace": KSN, "columnDefinitions": EVENTS_COLUMNS,
    "primaryKey": {"partitionKey": ["src", "day"], "clusteringKey": ["ts", "seq"]},
    "tableOptions": {"defaultTimeToLive": 3600,
                     "clusteringExpression": [{"column": "ts", "order": "DESC"},
                                              {"column": "seq", "order": "ASC"}]},
}


@pytest.fixture(scope="module")
def events(gateway, token, driver, ks):
    r = create(gateway, token, EVENTS)
    assert r.status_code == 201, r.text
    assert r.json() == {"name": "events"}
    return "events"


# ---- create and read -----------------------------------------------------------------------------

def test_create_checked_by_driver(events, driver):
    cols = columns(driver, events)
    assert cols["src"] == ("partition_key", "text", 0, "none")
    assert cols["day"] == ("partition_key", "date", 1, "none")
    assert cols["ts"] == ("clustering", "timeuuid", 0, "desc")
    assert cols["seq"] == ("clustering", "int", 1, "asc")
    assert cols["owner"][0] == "static"
    assert cols["body"][0] == "regular"
    assert cols["home"][1] == "frozen<address>"
    assert cols["emb"][1] == "vector<float, 3>"
    assert cols["scores"][1] == "map<text, int>"
    assert table_row(driver, events).default_time_to_live == 3600


def test_get_one(gateway, token, events):
    r = api(gateway, token, "GET", f"{TABLES}/events")
    assert r.status_code == 200, r.text
    assert r.json() == {"data": EVENTS_TABLE}
    # column order exactly as REST shows it
    assert [c["name"] for c in r.json()["data"]["columnDefinitions"]] == \
        [c["name"] for c in EVENTS_COLUMNS]
    r = api(gateway, token, "GET", f"{TABLES}/events", params={"raw": "TRUE"})
    assert r.json() == EVENTS_TABLE


def test_list(gateway, token, events):
    r = api(gateway, token, "GET", TABLES)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert EVENTS_TABLE in data
    r = api(gateway, token, "GET", TABLES, params={"raw": "true"})
    assert isinstance(r.json(), list) and EVENTS_TABLE in r.json()


def test_ttl_zero_omitted_and_if_not_exists(gateway, token, driver, ks):
    body = {"name": "plain", "ifNotExists": True,
            "columnDefinitions": [{"name": "id", "typeDefinition": "uuid"},
                                  {"name": "v", "typeDefinition": "int"}],
            "primaryKey": {"partitionKey": ["id"]}}
    assert create(gateway, token, body).status_code == 201
    assert create(gateway, token, body).status_code == 201
    r = api(gateway, token, "GET", f"{TABLES}/plain", params={"raw": "true"})
    assert r.json() == {
        "name": "plain", "keyspace": KSN,
        "columnDefinitions": [{"name": "id", "typeDefinition": "uuid", "static": False},
                              {"name": "v", "typeDefinition": "int", "static": False}],
        "primaryKey": {"partitionKey": ["id"], "clusteringKey": []},
        "tableOptions": {"clusteringExpression": []}}
    # without ifNotExists: Cassandra's ALREADY_EXISTS -> 409
    del body["ifNotExists"]
    r = create(gateway, token, body)
    assert r.status_code == 409, r.text
    assert r.json()["grpcStatus"] == "ALREADY_EXISTS"
    assert r.json()["description"].startswith(
        "Resource already exists (Status.Code.ALREADY_EXISTS->409): ALREADY_EXISTS: "
        "Cannot add already existing table")


def test_odd_names_quoted(gateway, token, driver, ks):
    name = "MixedCase_T"  # table names are word characters; case is kept by quoting
    body = {"name": name,
            "columnDefinitions": [{"name": 'K"ey', "typeDefinition": "int"},
                                  {"name": "Val ue", "typeDefinition": "text"}],
            "primaryKey": {"partitionKey": ['K"ey']}}
    assert create(gateway, token, body).status_code == 201
    assert name in all_tables(driver)
    assert set(columns(driver, name)) == {'K"ey', "Val ue"}
    assert "mixedcase_t" not in all_tables(driver)
    r = api(gateway, token, "GET", f"{TABLES}/MixedCase_T/columns/K%22ey")
    assert r.status_code == 200 and r.json()["data"]["name"] == 'K"ey'
    r = api(gateway, token, "GET", f"{TABLES}/MixedCase_T")
    assert r.status_code == 200 and r.json()["data"]["name"] == name
    assert api(gateway, token, "DELETE", f"{TABLES}/MixedCase_T").status_code == 204
    assert name not in all_tables(driver)


def test_driver_table_seen(gateway, token, driver, ks):
    driver.execute(f"CREATE TABLE {KSN}.from_driver (a int, b int, PRIMARY KEY (a, b)) "
                   "WITH CLUSTERING ORDER BY (b DESC)")
    deadline = time.monotonic() + 1.0
    while True:
        r = api(gateway, token, "GET", f"{TABLES}/from_driver", params={"raw": "true"})
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert r.status_code == 200, r.text
    assert r.json()["tableOptions"] == {"clusteringExpression": [{"column": "b",
                                                                  "order": "DESC"}]}


# ---- create errors -------------------------------------------------------------------------------

GOOD_COLS = [{"name": "id", "typeDefinition": "int"}]
GOOD_PK = {"partitionKey": ["id"]}


def test_create_validation(gateway, token, ks):
    assert_error(create(gateway, token, {"columnDefinitions": GOOD_COLS, "primaryKey": GOOD_PK}),
                 400, "Request invalid: TableAdd.name must be provided.")
    assert_error(create(gateway, token, {"name": " ", "columnDefinitions": GOOD_COLS,
                                         "primaryKey": GOOD_PK}),
                 400, "Request invalid: TableAdd.name must be provided.")
    assert_error(create(gateway, token, {"name": "x", "primaryKey": GOOD_PK}),
                 400, "Request invalid: TableAdd.columnDefinitions must be provided.")
    assert_error(create(gateway, token, {"name": "x", "columnDefinitions": [],
                                         "primaryKey": GOOD_PK}),
                 400, "Request invalid: TableAdd.columnDefinitions must be provided.")
    # Q8: a missing primary key is a 400, not a 500
    r = create(gateway, token, {"name": "x", "columnDefinitions": GOOD_COLS})
    assert_error(r, 400, "Request invalid: TableAdd.primaryKey.partitionKey must be provided.")
    # Q8: a bad clustering order is a 400
    body = {"name": "x", "columnDefinitions": GOOD_COLS + [{"name": "c", "typeDefinition": "int"}],
            "primaryKey": {"partitionKey": ["id"], "clusteringKey": ["c"]},
            "tableOptions": {"clusteringExpression": [{"column": "c", "order": "sideways"}]}}
    assert_error(create(gateway, token, body), 400, "Unrecognized ordering value 'sideways'")
    r = create(gateway, token, {"name": "x", "columnDefinitions": [{"name": "", "typeDefinition":
                                                                    "int"}],
                                "primaryKey": {"partitionKey": ["y"]}})
    assert r.status_code == 400
    r = create(gateway, token, {"name": "x", "columnDefinitions": GOOD_COLS,
                                "primaryKey": GOOD_PK, "tableOptions": {"defaultTimeToLive": "x"}})
    assert r.status_code == 400
    r = create(gateway, token, {"name": "x", "columnDefinitions": GOOD_COLS,
                                "primaryKey": GOOD_PK, "tableOptions": {"defaultTimeToLive": 1.5}})
    assert r.status_code == 400
    assert r.json()["code"] == 400


def test_create_bad_type_from_cassandra(gateway, token, driver, ks):
    r = create(gateway, token, {"name": "badtype", "columnDefinitions":
                                [{"name": "id", "typeDefinition": "nosuchtype"}],
                                "primaryKey": GOOD_PK})
    assert r.status_code == 400, r.text
    assert r.json()["grpcStatus"] == "INVALID_ARGUMENT"
    assert "badtype" not in all_tables(driver)


def test_create_missing_keyspace(gateway, token):
    r = api(gateway, token, "POST", "/v2/schemas/keyspaces/no_such_ks_rest/tables",
            {"name": "t", "columnDefinitions": GOOD_COLS, "primaryKey": GOOD_PK})
    assert_error(r, 400, "Keyspace 'no_such_ks_rest' not found")


@pytest.mark.parametrize("hostile", [
    "int) WITH comment='x'; DROP KEYSPACE k --",
    "int, other text",
    "int PRIMARY KEY",
    "text STATIC",
    "map<text, int>) --",
    "frozen<address>, x int",
])
def test_hostile_type_refused(gateway, token, driver, ks, hostile):
    before = all_tables(driver)
    r = create(gateway, token, {"name": "hostile", "columnDefinitions":
                                [{"name": "id", "typeDefinition": "int"},
                                 {"name": "v", "typeDefinition": hostile}],
                                "primaryKey": GOOD_PK})
    assert r.status_code == 400, r.text
    assert r.json()["grpcStatus"] == "INVALID_ARGUMENT"
    assert all_tables(driver) == before
    assert KSN in {r.keyspace_name for r in driver.execute(
        "SELECT keyspace_name FROM system_schema.keyspaces")}


# ---- GET errors ----------------------------------------------------------------------------------

def test_get_errors(gateway, token, ks):
    assert_error(api(gateway, token, "GET", "/v2/schemas/keyspaces/no_such_ks_rest/tables"),
                 400, "Keyspace 'no_such_ks_rest' not found")
    assert_error(api(gateway, token, "GET", "/v2/schemas/keyspaces/no_such_ks_rest/tables/t"),
                 400, "Keyspace 'no_such_ks_rest' not found")
    assert_error(api(gateway, token, "GET", f"{TABLES}/nope"),
                 404, f"Table 'nope' not found (in keyspace {KSN})")


def test_token_required(gateway, ks):
    for method, path in [("GET", TABLES), ("GET", f"{TABLES}/t"), ("POST", TABLES),
                         ("PUT", f"{TABLES}/t"), ("DELETE", f"{TABLES}/t"),
                         ("GET", f"{TABLES}/t/columns"), ("POST", f"{TABLES}/t/columns"),
                         ("GET", f"{TABLES}/t/columns/c"), ("PUT", f"{TABLES}/t/columns/c"),
                         ("DELETE", f"{TABLES}/t/columns/c")]:
        r = requests.request(method, gateway.url(path), json={}, timeout=30)
        assert r.status_code == 401, (method, path, r.text)


# ---- PUT (TTL) -----------------------------------------------------------------------------------

def test_update_ttl(gateway, token, driver, events):
    r = api(gateway, token, "PUT", f"{TABLES}/events",
            {"name": "events", "tableOptions": {"defaultTimeToLive": 60}})
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "events"}
    assert table_row(driver, "events").default_time_to_live == 60
    r = api(gateway, token, "GET", f"{TABLES}/events", params={"raw": "true"})
    assert r.json()["tableOptions"]["defaultTimeToLive"] == 60
    r = api(gateway, token, "PUT", f"{TABLES}/events",
            {"name": "events", "tableOptions": {"defaultTimeToLive": 3600}})
    assert r.status_code == 200


def test_update_errors(gateway, token, driver, events):
    assert_error(api(gateway, token, "PUT", f"{TABLES}/events",
                     {"tableOptions": {"defaultTimeToLive": 5}}),
                 400, "Request invalid: TableAdd.name must be provided.")
    assert_error(api(gateway, token, "PUT", f"{TABLES}/events",
                     {"name": "events", "tableOptions": {"defaultTimeToLive": 5,
                      "clusteringExpression": [{"column": "ts", "order": "ASC"}]}}),
                 400, "Cannot update the clustering order of a table")
    assert_error(api(gateway, token, "PUT", f"{TABLES}/events", {"name": "events"}),
                 400, "No update provided for defaultTTL")
    assert_error(api(gateway, token, "PUT", f"{TABLES}/events",
                     {"name": "events", "tableOptions": {}}),
                 400, "No update provided for defaultTTL")
    assert_error(api(gateway, token, "PUT", f"{TABLES}/nope",
                     {"name": "nope", "tableOptions": {"defaultTimeToLive": 5}}),
                 400, f"Table 'nope' not found (in keyspace {KSN})")
    r = api(gateway, token, "PUT", f"{TABLES}/events",
            {"name": "events", "tableOptions": {"defaultTimeToLive": "5; DROP TABLE x"}})
    assert r.status_code == 400
    assert table_row(driver, "events").default_time_to_live == 3600


# ---- DELETE --------------------------------------------------------------------------------------

def test_delete_twice(gateway, token, driver, ks):
    body = {"name": "doomed", "columnDefinitions": GOOD_COLS, "primaryKey": GOOD_PK}
    assert create(gateway, token, body).status_code == 201
    assert "doomed" in all_tables(driver)
    r = api(gateway, token, "DELETE", f"{TABLES}/doomed")
    assert r.status_code == 204 and r.content == b""
    assert "doomed" not in all_tables(driver)
    assert api(gateway, token, "GET", f"{TABLES}/doomed").status_code == 404
    assert api(gateway, token, "DELETE", f"{TABLES}/doomed").status_code == 204


# ---- columns -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def coltab(gateway, token, ks):
    body = {"name": "coltab",
            "columnDefinitions": [{"name": "id", "typeDefinition": "int"},
                                  {"name": "ck", "typeDefinition": "int"},
                                  {"name": "v", "typeDefinition": "text"}],
            "primaryKey": {"partitionKey": ["id"], "clusteringKey": ["ck"]}}
    assert create(gateway, token, body).status_code == 201
    return f"{TABLES}/coltab/columns"


def test_columns_get(gateway, token, coltab):
    r = api(gateway, token, "GET", coltab)
    assert r.status_code == 200, r.text
    assert r.json() == {"data": [{"name": "id", "typeDefinition": "int", "static": False},
                                 {"name": "ck", "typeDefinition": "int", "static": False},
                                 {"name": "v", "typeDefinition": "text", "static": False}]}
    r = api(gateway, token, "GET", coltab, params={"raw": "true"})
    assert [c["name"] for c in r.json()] == ["id", "ck", "v"]
    r = api(gateway, token, "GET", coltab + "/v")
    assert r.json() == {"data": {"name": "v", "typeDefinition": "text", "static": False}}
    r = api(gateway, token, "GET", coltab + "/v", params={"raw": "true"})
    assert r.json() == {"name": "v", "typeDefinition": "text", "static": False}


def test_columns_get_errors(gateway, token, coltab):
    assert_error(api(gateway, token, "GET", coltab + "/nope"),
                 404, "Column 'nope' not found in table 'coltab'")
    assert_error(api(gateway, token, "GET", f"{TABLES}/nope/columns"),
                 400, f"Table 'nope' not found (in keyspace {KSN})")
    assert_error(api(gateway, token, "GET", f"{TABLES}/nope/columns/v"),
                 400, f"Table 'nope' not found (in keyspace {KSN})")
    assert_error(api(gateway, token, "GET", "/v2/schemas/keyspaces/no_such_ks_rest/tables/t/"
                     "columns"), 400, "Keyspace 'no_such_ks_rest' not found")


def test_column_add_static_rename_drop(gateway, token, driver, coltab):
    r = api(gateway, token, "POST", coltab, {"name": "extra", "typeDefinition": "list<int>"})
    assert r.status_code == 201, r.text
    assert r.json() == {"name": "extra"}
    assert columns(driver, "coltab")["extra"][:2] == ("regular", "list<int>")
    r = api(gateway, token, "POST", coltab, {"name": "st", "typeDefinition": "text",
                                             "static": True})
    assert r.status_code == 201, r.text
    assert columns(driver, "coltab")["st"][0] == "static"
    r = api(gateway, token, "GET", coltab + "/st", params={"raw": "true"})
    assert r.json() == {"name": "st", "typeDefinition": "text", "static": True}
    r = api(gateway, token, "POST", coltab, {"name": "home", "typeDefinition": "frozen<address>"})
    assert r.status_code == 201, r.text
    r = api(gateway, token, "GET", coltab + "/home", params={"raw": "true"})
    assert r.json()["typeDefinition"] == "frozen<udt<address>>"
    # rename (key columns only, in Cassandra); the same name is a no-op 200
    r = api(gateway, token, "PUT", coltab + "/ck", {"name": "ck2", "typeDefinition": "ignored"})
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "ck2"}
    assert "ck2" in columns(driver, "coltab") and "ck" not in columns(driver, "coltab")
    assert api(gateway, token, "GET", coltab + "/ck2").status_code == 200
    r = api(gateway, token, "PUT", coltab + "/ck2", {"name": "ck2"})
    assert r.status_code == 200 and r.json() == {"name": "ck2"}
    # drop
    r = api(gateway, token, "DELETE", coltab + "/extra")
    assert r.status_code == 204, r.text
    assert "extra" not in columns(driver, "coltab")
    assert_error(api(gateway, token, "DELETE", coltab + "/extra"),
                 400, "Column 'extra' not found in table 'coltab'")
    assert api(gateway, token, "GET", coltab + "/extra").status_code == 404


def test_column_errors(gateway, token, driver, coltab):
    assert_error(api(gateway, token, "POST", coltab, {"name": "", "typeDefinition": "int"}),
                 400, "Request invalid: columnDefinition.name must be provided.")
    assert_error(api(gateway, token, "POST", coltab, {"typeDefinition": "int"}),
                 400, "Request invalid: columnDefinition.name must be provided.")
    r = api(gateway, token, "POST", coltab, {"name": "bad", "typeDefinition": "nosuchtype"})
    assert r.status_code == 400 and r.json()["grpcStatus"] == "INVALID_ARGUMENT"
    r = api(gateway, token, "POST", coltab,
            {"name": "bad", "typeDefinition": "int; DROP TABLE coltab"})
    assert r.status_code == 400 and r.json()["grpcStatus"] == "INVALID_ARGUMENT"
    assert "bad" not in columns(driver, "coltab")
    assert_error(api(gateway, token, "POST", f"{TABLES}/nope/columns",
                     {"name": "c", "typeDefinition": "int"}),
                 400, f"Table 'nope' not found (in keyspace {KSN})")
    r = api(gateway, token, "POST", coltab, {"name": "v", "typeDefinition": "int"})
    assert r.status_code == 400 and r.json()["grpcStatus"] == "INVALID_ARGUMENT"
    assert_error(api(gateway, token, "PUT", coltab + "/nope", {"name": "x"}),
                 400, "Column 'nope' not found in table 'coltab'")
    assert_error(api(gateway, token, "PUT", coltab + "/v", {"name": " "}),
                 400, "Request invalid: columnDefinition.name must be provided.")
    r = api(gateway, token, "DELETE", coltab + "/id")
    assert r.status_code == 400 and r.json()["grpcStatus"] == "INVALID_ARGUMENT"
    assert "id" in columns(driver, "coltab")
