"""REST v2 row endpoints (spec/rest-v2.md 3.6, 4.5, 9) on the real binary against the real
Cassandra, every write checked with the Python driver: POST with many types and the exact echo,
GET by full key and by partition with paging, fields, raw and sort, GET /rows, PUT and PATCH as
upserts, counters, DELETE of a row and of a partition, key segments with an encoded slash and a
quote, a hostile column name, and every error text."""

import datetime
import decimal
import json
import time

import pytest
import requests

KSN = "rest_rows_ks"
BASE = f"/v2/keyspaces/{KSN}"


def api(gw, token, method, path, body=None, data=None, params=None, headers=None):
    h = {"X-Cassandra-Token": token} if token is not None else {}
    if data is not None:
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    return requests.request(method, gw.url(path), json=body, data=data, headers=h,
                            params=params, timeout=30)


def assert_error(r, status, description, grpc=None):
    assert r.status_code == status, r.text
    assert r.json() == {"description": description, "code": status, "grpcStatus": grpc,
                        "internalTxId": None}


def wait_table(gw, token, table):
    """Waits until the gateway's schema snapshot shows TABLE (driver DDL arrives by event)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = api(gw, token, "GET", f"/v2/schemas/keyspaces/{KSN}/tables/{table}")
        if r.status_code == 200:
            return
        time.sleep(0.1)
    raise AssertionError(f"table {table} never appeared")


@pytest.fixture(scope="module")
def ks(gateway, token, driver):
    driver.execute(f"DROP KEYSPACE IF EXISTS {KSN}")
    driver.execute(f"CREATE KEYSPACE {KSN} WITH replication = "
                   "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    driver.execute(f"CREATE TABLE {KSN}.things (id int PRIMARY KEY, name text, tags set<text>, "
                   "attrs map<text, int>, at timestamp, price decimal, big bigint, u uuid)")
    driver.execute(f"CREATE TABLE {KSN}.events (p text, c int, v text, PRIMARY KEY (p, c))")
    driver.execute(f"CREATE TABLE {KSN}.hits (k text PRIMARY KEY, n counter)")
    driver.execute(f"CREATE TABLE {KSN}.odd (k text PRIMARY KEY, v int)")
    for t in ("things", "events", "hits", "odd"):
        wait_table(gateway, token, t)
    yield KSN
    driver.execute(f"DROP KEYSPACE IF EXISTS {KSN}")


def row(driver, cql, *args):
    return driver.execute(cql, list(args)).one()


# ---- POST ------------------------------------------------------------------------------------------

def test_post_types_read_back(gateway, token, driver, ks):
    body = ('{"id": 1, "name": "alpha", "tags": ["x", "y"], "attrs": {"a": 1, "b": 2},'
            ' "at": "2021-04-23T18:42:22.139Z", "price": 123456789012345678901234567.890,'
            ' "big": 9223372036854775807, "u": "0f8fad5b-d9cb-469f-a165-70867728950e"}')
    r = api(gateway, token, "POST", f"{BASE}/things", data=body)
    assert r.status_code == 201, r.text
    assert r.content == body.encode()
    got = row(driver, f"SELECT * FROM {KSN}.things WHERE id = %s", 1)
    assert got.name == "alpha"
    assert got.tags == {"x", "y"}
    assert dict(got.attrs) == {"a": 1, "b": 2}
    assert got.at == datetime.datetime(2021, 4, 23, 18, 42, 22, 139000)
    assert got.price == decimal.Decimal("123456789012345678901234567.890")
    assert got.big == 9223372036854775807
    assert str(got.u) == "0f8fad5b-d9cb-469f-a165-70867728950e"


def test_post_echo_exact(gateway, token, driver, ks):
    body = '{ "id" :2,\n "name":"b\\u00e9ta" , "price": 1.10 }'
    r = api(gateway, token, "POST", f"{BASE}/things", data=body)
    assert r.status_code == 201, r.text
    assert r.content == body.encode()
    got = row(driver, f"SELECT name, price FROM {KSN}.things WHERE id = %s", 2)
    assert got.name == "b\u00e9ta" and got.price == decimal.Decimal("1.10")


def test_post_unknown_field(gateway, token, driver, ks):
    r = api(gateway, token, "POST", f"{BASE}/events", {"p": "a", "c": 1, "nope": 1})
    assert_error(r, 400, "Invalid path for row to create, problem: Unknown field name 'nope' "
                 "(table 'events'); known fields: [p, c, v]")


def test_post_hostile_column(gateway, token, driver, ks):
    evil = 'v") VALUES (\'x\'); DROP TABLE rest_rows_ks.events; --'
    r = api(gateway, token, "POST", f"{BASE}/events", {"p": "evil", "c": 1, evil: "x"})
    assert r.status_code == 400, r.text
    assert "Unknown field name" in r.json()["description"]
    assert row(driver, f"SELECT * FROM {KSN}.events WHERE p = %s", "evil") is None
    assert row(driver, "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s "
               "AND table_name = %s", KSN, "events") is not None


def test_post_bad_value(gateway, token, driver, ks):
    r = api(gateway, token, "POST", f"{BASE}/events", {"p": "a", "c": "x"})
    assert r.status_code == 400, r.text
    d = r.json()["description"]
    assert d.startswith("Invalid path for row to create, problem: Failed to deserialize field "
                        "'events.c', problem: "), d
    assert row(driver, f"SELECT * FROM {KSN}.events WHERE p = %s", "a") is None


def test_post_bad_json_and_missing(gateway, token, ks):
    r = api(gateway, token, "POST", f"{BASE}/events", data='{"p": ')
    assert r.status_code == 400
    assert r.json()["description"].startswith("Invalid JSON payload: ")
    r = api(gateway, token, "POST", f"{BASE}/events", data='[1]')
    assert r.status_code == 400
    assert r.json()["description"].startswith("Invalid JSON payload: ")
    assert_error(api(gateway, token, "POST", "/v2/keyspaces/no_such_ks/t", {"a": 1}), 400,
                 "Keyspace 'no_such_ks' not found")
    assert_error(api(gateway, token, "POST", f"{BASE}/no_such_t", {"a": 1}), 400,
                 f"Table 'no_such_t' not found (in keyspace '{KSN}')")


def test_no_token(gateway, ks):
    r = api(gateway, None, "GET", f"{BASE}/events/a")
    assert r.status_code == 401


# ---- GET -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def events(gateway, token, driver, ks):
    for c in range(5):
        r = api(gateway, token, "POST", f"{BASE}/events", {"p": "pg", "c": c, "v": f"v{c}"})
        assert r.status_code == 201, r.text
    return "pg"


def test_get_full_key(gateway, token, events):
    r = api(gateway, token, "GET", f"{BASE}/events/pg/3")
    assert r.status_code == 200, r.text
    assert r.json() == {"count": 1, "data": [{"p": "pg", "c": 3, "v": "v3"}]}


def test_get_paging(gateway, token, events):
    seen, state, pages = [], None, 0
    while True:
        params = {"page-size": "2"}
        if state is not None:
            params["page-state"] = state
        r = api(gateway, token, "GET", f"{BASE}/events/pg", params=params)
        assert r.status_code == 200, r.text
        j = r.json()
        assert j["count"] == len(j["data"])
        seen += [d["c"] for d in j["data"]]
        pages += 1
        if "pageState" not in j:
            break
        assert list(j) == ["count", "pageState", "data"]
        state = j["pageState"]
    assert seen == [0, 1, 2, 3, 4] and pages == 3


def test_get_page_state_urlsafe_and_bad(gateway, token, events):
    r = api(gateway, token, "GET", f"{BASE}/events/pg", params={"page-size": "1"})
    st = r.json()["pageState"]
    urlsafe = st.replace("+", "-").replace("/", "_").rstrip("=")
    r2 = api(gateway, token, "GET", f"{BASE}/events/pg",
             params={"page-size": "1", "page-state": urlsafe})
    assert r2.status_code == 200, r2.text
    assert r2.json()["data"][0]["c"] == 1
    r3 = api(gateway, token, "GET", f"{BASE}/events/pg", params={"page-state": "!!!"})
    assert r3.status_code == 400
    r4 = api(gateway, token, "GET", f"{BASE}/events/pg", params={"page-size": "abc"})
    assert r4.status_code == 400


def test_get_fields_raw_sort(gateway, token, events):
    r = api(gateway, token, "GET", f"{BASE}/events/pg",
            params={"fields": " v , ,c", "raw": "true", "sort": '{"c":"DESC"}'})
    assert r.status_code == 200, r.text
    data = r.json()
    assert [list(d) for d in data] == [["v", "c"]] * 5
    assert [d["c"] for d in data] == [4, 3, 2, 1, 0]
    r = api(gateway, token, "GET", f"{BASE}/events/pg",
            params={"raw": "true", "sort": '{"c":"asc"}'})
    assert [d["c"] for d in r.json()] == [0, 1, 2, 3, 4]
    r = api(gateway, token, "GET", f"{BASE}/events/pg", params={"sort": "{bad"})
    assert r.status_code == 400
    assert r.json()["description"].startswith("Invalid 'sort' parameter, problem: ")
    r = api(gateway, token, "GET", f"{BASE}/events/pg", params={"fields": "nope"})
    assert r.status_code == 400


def test_get_rows(gateway, token, events, driver):
    r = api(gateway, token, "GET", f"{BASE}/events/rows", params={"page-size": "100"})
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["count"] == len(list(driver.execute(f"SELECT * FROM {KSN}.events")))
    assert {(d["p"], d["c"]) for d in j["data"]} >= {("pg", c) for c in range(5)}


def test_get_key_count_errors(gateway, token, ks):
    r = api(gateway, token, "GET", f"{BASE}/events/a/1/2")
    assert_error(r, 400, "Invalid path for row to find, problem: Number of key values provided "
                 "(3) exceeds number of partition keys (1) and clustering keys (1)")
    r = api(gateway, token, "GET", f"{BASE}/events/a/x")
    assert r.status_code == 400
    assert r.json()["description"].startswith(
        "Invalid path for row to find, problem: Failed to deserialize field 'events.c'")


def test_get_empty(gateway, token, ks):
    r = api(gateway, token, "GET", f"{BASE}/events/none")
    assert r.json() == {"count": 0, "data": []}


def test_key_slash_and_quote(gateway, token, driver, ks):
    key = "a/b'c"
    driver.execute(f"INSERT INTO {KSN}.odd (k, v) VALUES (%s, 7)", [key])
    r = api(gateway, token, "GET", f"{BASE}/odd/a%2Fb'c")
    assert r.json() == {"count": 1, "data": [{"k": key, "v": 7}]}
    r = api(gateway, token, "GET", f"{BASE}/odd/'a%2Fb''c'")
    assert r.json()["count"] == 1


# ---- PUT, PATCH, counters ------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_update_upsert(gateway, token, driver, ks, method):
    key = f"up-{method}"
    r = api(gateway, token, method, f"{BASE}/events/{key}/1", data='{"v": "new", "c": 1}')
    assert r.status_code == 400   # a key column cannot be SET; Cassandra refuses
    r = api(gateway, token, method, f"{BASE}/events/{key}/1", data='{"v":"new"}')
    assert r.status_code == 200, r.text
    assert r.json() == {"data": {"v": "new"}}
    assert row(driver, f"SELECT v FROM {KSN}.events WHERE p = %s AND c = 1", key).v == "new"
    r = api(gateway, token, method, f"{BASE}/events/{key}/1", data='{"v":"newer"}',
            params={"raw": "true"})
    assert r.json() == {"v": "newer"}
    assert row(driver, f"SELECT v FROM {KSN}.events WHERE p = %s AND c = 1", key).v == "newer"


def test_update_errors(gateway, token, ks):
    r = api(gateway, token, "PUT", f"{BASE}/events/u/1", {"zz": 1})
    assert_error(r, 400, "Invalid path for row to update, problem: Unknown field name 'zz' "
                 "(table 'events'); known fields: [p, c, v]")
    r = api(gateway, token, "PATCH", f"{BASE}/events/u/x", {"v": "a"})
    assert r.json()["description"].startswith(
        "Invalid path for row to update, problem: Failed to deserialize field 'events.c'")


def test_counters(gateway, token, driver, ks):
    r = api(gateway, token, "PUT", f"{BASE}/hits/h1", {"n": "+1"})
    assert r.status_code == 200, r.text
    r = api(gateway, token, "PATCH", f"{BASE}/hits/h1", {"n": 5})
    assert r.status_code == 200, r.text
    r = api(gateway, token, "PUT", f"{BASE}/hits/h1", {"n": "-2"})
    assert r.status_code == 200, r.text
    assert row(driver, f"SELECT n FROM {KSN}.hits WHERE k = %s", "h1").n == 4


# ---- DELETE --------------------------------------------------------------------------------------

def test_delete_row_and_partition(gateway, token, driver, ks):
    for c in range(3):
        driver.execute(f"INSERT INTO {KSN}.events (p, c, v) VALUES ('del', %s, 'x')", [c])
    r = api(gateway, token, "DELETE", f"{BASE}/events/del/1")
    assert r.status_code == 204 and r.content == b""
    assert [x.c for x in driver.execute(f"SELECT c FROM {KSN}.events WHERE p = 'del'")] == [0, 2]
    r = api(gateway, token, "DELETE", f"{BASE}/events/del")
    assert r.status_code == 204
    assert driver.execute(f"SELECT c FROM {KSN}.events WHERE p = 'del'").one() is None
    r = api(gateway, token, "DELETE", f"{BASE}/events/del")
    assert r.status_code == 204
    r = api(gateway, token, "DELETE", f"{BASE}/events/del/x")
    assert r.json()["description"].startswith(
        "Invalid path for row to delete, problem: Failed to deserialize field 'events.c'")
