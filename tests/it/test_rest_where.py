"""REST v2 search with `where` (spec/rest-v2.md 3.6 and 4) on the real binary against the real
Cassandra: every operator on a table with a partition key, clustering columns, an SAI-indexed
int, an indexed set, map and boolean; paging through a result, sort, fields, every error text,
a filter Cassandra refuses without ALLOW FILTERING, a missing where and a missing token."""

import json
import time

import pytest
import requests

KSN = "rest_where_ks"
BASE = f"/v2/keyspaces/{KSN}"
PREFIX = "Invalid 'where' parameter, problem: "
KNOWN = "[p, c1, c2, b, m, n, s, v]"


def get(gw, token, table, where, **params):
    h = {"X-Cassandra-Token": token} if token is not None else {}
    if where is not None:
        params["where"] = where if isinstance(where, str) else json.dumps(where)
    return requests.get(gw.url(f"{BASE}/{table}"), headers=h, params=params, timeout=30)


def assert_error(r, status, description, grpc=None):
    assert r.status_code == status, r.text
    assert r.json() == {"description": description, "code": status, "grpcStatus": grpc,
                        "internalTxId": None}


def wait_table(gw, token, table):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = requests.get(gw.url(f"/v2/schemas/keyspaces/{KSN}/tables/{table}"),
                         headers={"X-Cassandra-Token": token}, timeout=30)
        if r.status_code == 200:
            return
        time.sleep(0.1)
    raise AssertionError(f"table {table} never appeared")


ROWS = [
    # p, c1, c2, n, b, s, m, v
    ("a", 1, "x", 10, True, {"red", "blue"}, {"k1": 1, "k2": 2}, "v1"),
    ("a", 2, "y", 20, False, {"red"}, {"k1": 5}, "v2"),
    ("a", 3, "z", 30, True, {"green"}, {"k3": 3}, "v3"),
    ("b", 1, "x", 40, False, set(), {}, "v4"),
    ("b", 2, "y", 50, True, {"blue"}, {"k2": 2}, "v5"),
]


@pytest.fixture(scope="module")
def ks(gateway, token, driver):
    driver.execute(f"DROP KEYSPACE IF EXISTS {KSN}")
    driver.execute(f"CREATE KEYSPACE {KSN} WITH replication = "
                   "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    driver.execute(f"CREATE TABLE {KSN}.w (p text, c1 int, c2 text, n int, b boolean, "
                   "s set<text>, m map<text, int>, v text, PRIMARY KEY (p, c1, c2))")
    driver.execute(f"CREATE INDEX ON {KSN}.w (n) USING 'sai'")
    driver.execute(f"CREATE INDEX ON {KSN}.w (s) USING 'sai'")
    driver.execute(f"CREATE INDEX ON {KSN}.w (KEYS(m)) USING 'sai'")
    driver.execute(f"CREATE INDEX ON {KSN}.w (VALUES(m)) USING 'sai'")
    driver.execute(f"CREATE INDEX ON {KSN}.w (ENTRIES(m)) USING 'sai'")
    driver.execute(f"CREATE INDEX ON {KSN}.w (b)")
    driver.execute(f"CREATE TABLE {KSN}.many (p int, c int, v int, PRIMARY KEY (p, c))")
    ins = driver.prepare(f"INSERT INTO {KSN}.w (p, c1, c2, n, b, s, m, v) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    for r in ROWS:
        driver.execute(ins, list(r))
    ins = driver.prepare(f"INSERT INTO {KSN}.many (p, c, v) VALUES (?, ?, ?)")
    for c in range(25):
        driver.execute(ins, [1, c, c * 10])
    for t in ("w", "many"):
        wait_table(gateway, token, t)
    # Indexes become queryable once built; wait for each kind to answer.
    deadline = time.monotonic() + 60
    while True:
        try:
            driver.execute(f"SELECT p FROM {KSN}.w WHERE n = 10")
            driver.execute(f"SELECT p FROM {KSN}.w WHERE s CONTAINS 'red'")
            driver.execute(f"SELECT p FROM {KSN}.w WHERE m CONTAINS KEY 'k1'")
            driver.execute(f"SELECT p FROM {KSN}.w WHERE m CONTAINS 1")
            driver.execute(f"SELECT p FROM {KSN}.w WHERE m['k1'] = 1")
            driver.execute(f"SELECT p FROM {KSN}.w WHERE b = true")
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    yield KSN
    driver.execute(f"DROP KEYSPACE IF EXISTS {KSN}")


def keys(r):
    assert r.status_code == 200, r.text
    return sorted((d["p"], d["c1"]) for d in r.json()["data"])


# ---- operators -----------------------------------------------------------------------------------

def test_eq_partition_and_clustering(gateway, token, ks):
    r = get(gateway, token, "w", {"p": {"$eq": "a"}, "c1": {"$eq": 2}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 1 and "pageState" not in body
    d = body["data"][0]
    assert d["p"] == "a" and d["c1"] == 2 and d["c2"] == "y" and d["n"] == 20
    assert d["b"] is False and d["s"] == ["red"] and d["m"] == {"k1": 5} and d["v"] == "v2"


def test_operator_names_case_insensitive_and_stringified(gateway, token, ks):
    assert keys(get(gateway, token, "w", {"p": {"$EQ": "a"}, "c1": {"$Eq": "3"}})) == [("a", 3)]
    assert keys(get(gateway, token, "w", {"p": {"$eq": "'a'"}})) == [("a", 1), ("a", 2),
                                                                     ("a", 3)]


def test_slices_on_clustering(gateway, token, ks):
    assert keys(get(gateway, token, "w", {"p": {"$eq": "a"}, "c1": {"$gt": 1}})) == \
        [("a", 2), ("a", 3)]
    assert keys(get(gateway, token, "w", {"p": {"$eq": "a"}, "c1": {"$gte": 2, "$lt": 3}})) == \
        [("a", 2)]
    assert keys(get(gateway, token, "w", {"p": {"$eq": "a"}, "c1": {"$lte": 2}})) == \
        [("a", 1), ("a", 2)]


def test_array_under_scalar_op_adds_conditions(gateway, token, ks):
    # Two end bounds on one column: Cassandra names the second condition it was sent.
    r = get(gateway, token, "w", {"n": {"$lt": [45, 35]}})
    assert r.status_code == 400, r.text
    assert "More than one restriction was found for the end bound on n" in r.json()["description"]
    assert keys(get(gateway, token, "w", {"p": {"$eq": "a"}, "c1": {"$eq": [2]}})) == [("a", 2)]


def test_sai_int(gateway, token, ks):
    assert keys(get(gateway, token, "w", {"n": {"$eq": 40}})) == [("b", 1)]
    assert keys(get(gateway, token, "w", {"n": {"$gt": 25, "$lte": 50}})) == \
        [("a", 3), ("b", 1), ("b", 2)]


def test_in(gateway, token, ks):
    assert keys(get(gateway, token, "w", {"p": {"$in": ["a", "b"]}, "c1": {"$eq": 1}})) == \
        [("a", 1), ("b", 1)]
    assert keys(get(gateway, token, "w", {"p": {"$eq": "a"}, "c1": {"$in": [1, 3]}})) == \
        [("a", 1), ("a", 3)]


def test_in_elements_are_strict(gateway, token, ks):
    r = get(gateway, token, "w", {"p": {"$eq": "a"}, "c1": {"$in": ["1", "2"]}})
    assert r.status_code == 400, r.text
    assert r.json()["description"].startswith(PREFIX + "Failed to deserialize field 'w.c1'")


def test_contains_on_set_and_map(gateway, token, ks):
    assert keys(get(gateway, token, "w", {"s": {"$contains": "red"}})) == [("a", 1), ("a", 2)]
    assert keys(get(gateway, token, "w", {"m": {"$contains": 2}})) == [("a", 1), ("b", 2)]


def test_contains_key(gateway, token, ks):
    assert keys(get(gateway, token, "w", {"m": {"$containsKey": "k1"}})) == [("a", 1), ("a", 2)]


def test_contains_entry(gateway, token, ks):
    r = get(gateway, token, "w", {"m": {"$containsEntry": {"key": "k2", "value": 2}}})
    assert keys(r) == [("a", 1), ("b", 2)]


def test_exists(gateway, token, ks):
    assert keys(get(gateway, token, "w", {"b": {"$exists": True}})) == \
        [("a", 1), ("a", 3), ("b", 2)]


def test_conditions_across_columns_are_anded(gateway, token, ks):
    assert keys(get(gateway, token, "w", {"p": {"$eq": "a"}, "n": {"$gte": 20}})) == \
        [("a", 2), ("a", 3)]


# ---- reading options -----------------------------------------------------------------------------

def test_paging_no_duplicate_no_gap(gateway, token, ks):
    seen, state, pages = [], None, 0
    while True:
        params = {"page-size": "7"}
        if state is not None:
            params["page-state"] = state
        r = get(gateway, token, "many", {"p": {"$eq": 1}, "c": {"$gte": 3}}, **params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["count"] == len(body["data"])
        seen += [d["c"] for d in body["data"]]
        pages += 1
        state = body.get("pageState")
        if state is None:
            break
    assert seen == list(range(3, 25))
    assert pages == 4


def test_sort_desc_fields_raw(gateway, token, ks):
    r = get(gateway, token, "many", {"p": {"$eq": 1}, "c": {"$lt": 4}}, sort='{"c":"desc"}',
            fields="v, c", raw="true")
    assert r.status_code == 200, r.text
    assert r.json() == [{"v": 30, "c": 3}, {"v": 20, "c": 2}, {"v": 10, "c": 1},
                        {"v": 0, "c": 0}]
    assert list(r.json()[0].keys()) == ["v", "c"]


def test_empty_result(gateway, token, ks):
    r = get(gateway, token, "w", {"p": {"$eq": "none"}})
    assert r.status_code == 200, r.text
    assert r.json() == {"count": 0, "data": []}


# ---- errors ----------------------------------------------------------------------------------------

def test_where_missing_or_blank(gateway, token, ks):
    assert_error(get(gateway, token, "w", None), 400,
                 "Request invalid: 'where' must be provided.")
    assert_error(get(gateway, token, "w", "  "), 400,
                 "Request invalid: 'where' must be provided.")


def test_no_token(gateway, ks):
    r = get(gateway, None, "w", {"p": {"$eq": "a"}})
    assert r.status_code == 401, r.text


@pytest.mark.parametrize("where,detail", [
    ("[1]", "Was expecting a JSON object as input for where parameter."),
    ({"p": 1}, "Entry for field p was expecting a JSON object as input."),
    ({"p": {"$ne": "a"}}, "Operation $ne is not supported."),
    ({"p": {"$nin": ["a"]}}, "Operation $nin is not supported."),
    ({"p": {"$like": "a"}}, "Operation $like is not supported."),
    ({"p": {"$eq": None}},
     "Value entry for field p, operation $eq was expecting a value, but found null."),
    ({"p": {"$in": []}}, "Value entry for field 'p', operation $in must be a non-empty array"),
    ({"p": {"$in": "a"}}, "Value entry for field 'p', operation $in must be a non-empty array"),
    ({"n": {"$contains": 1}},
     "Field 'n' not of container type (list, map, set); has to be for operation $contains"),
    ({"s": {"$containsKey": "a"}},
     "Field 's' not of map type; has to be for operation $containsKey"),
    ({"m": {"$containsEntry": {"key": "k1"}}},
     "Value entry for field m, operation $containsEntry must be an object with two fields "
     "'key' and 'value'"),
    ({"m": {"$containsEntry": [{"key": "k1", "value": 1}]}},
     "Value entry for field m, operation $containsEntry must be an object with two fields "
     "'key' and 'value'"),
    ({"b": {"$exists": False}}, "`$exists` only supports the value `true`."),
    ({"nope": {"$eq": 1}}, f"Unknown field name 'nope' (table 'w'); known fields: {KNOWN}"),
])
def test_where_errors(gateway, token, ks, where, detail):
    assert_error(get(gateway, token, "w", where), 400, PREFIX + detail)


def test_duplicate_keys_and_bad_json(gateway, token, ks):
    for w in ('{"p":{"$eq":"a"},"p":{"$eq":"b"}}', '{"p":{"$eq":"a","$eq":"b"}}', '{"p":'):
        r = get(gateway, token, "w", w)
        assert r.status_code == 400, r.text
        assert r.json()["description"].startswith(PREFIX + "Input provided is not valid json. ")


def test_bad_value(gateway, token, ks):
    r = get(gateway, token, "w", {"n": {"$eq": "many"}})
    assert r.status_code == 400, r.text
    assert r.json()["description"].startswith(PREFIX + "Failed to deserialize field 'w.n'")


def test_filtering_refused_by_cassandra(gateway, token, ks):
    r = get(gateway, token, "w", {"v": {"$eq": "v1"}})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["grpcStatus"] == "INVALID_ARGUMENT"
    assert "ALLOW FILTERING" in body["description"]


def test_unknown_table(gateway, token, ks):
    assert_error(get(gateway, token, "nope", {"p": {"$eq": "a"}}), 400,
                 f"Table 'nope' not found (in keyspace '{KSN}')")
