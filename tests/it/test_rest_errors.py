"""Error paths of the row endpoints that the other files do not reach: Cassandra unreachable
(503 saying so), maps without compactMapData, and integers one past their column's range."""

import time

import pytest
import requests

from conftest import Gateway, free_port

KSN = "rest_errors_ks"


def api(gw, token, method, path, body=None, params=None):
    h = {"X-Cassandra-Token": token} if token is not None else {}
    return requests.request(method, gw.url(path), json=body, params=params, headers=h,
                            timeout=30)


@pytest.fixture(scope="module")
def ks(gateway, token, driver):
    driver.execute(f"DROP KEYSPACE IF EXISTS {KSN}")
    driver.execute(f"CREATE KEYSPACE {KSN} WITH replication = "
                   "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    driver.execute(f"CREATE TABLE {KSN}.m (k int PRIMARY KEY, attrs map<text, int>, "
                   "big bigint, i int, s smallint, t tinyint)")
    driver.execute(f"INSERT INTO {KSN}.m (k, attrs) VALUES (1, {{'a': 1, 'b': 2}})")
    deadline = time.monotonic() + 30
    while api(gateway, token, "GET", f"/v2/schemas/keyspaces/{KSN}/tables/m").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    yield KSN
    driver.execute(f"DROP KEYSPACE IF EXISTS {KSN}")


def test_rows_answer_503_when_cassandra_is_unreachable():
    gw = Gateway("--auth", "none", contact_points=f"127.0.0.1:{free_port()}", wait_ready=False)
    try:
        for method, path, body in (("GET", f"/v2/keyspaces/{KSN}/m/1", None),
                                   ("GET", f"/v2/keyspaces/{KSN}/m/rows", None),
                                   ("POST", f"/v2/keyspaces/{KSN}/m", {"k": 2}),
                                   ("GET", "/v2/schemas/keyspaces", None)):
            r = api(gw, None, method, path, body)
            assert r.status_code == 503, (path, r.text)
            body = r.json()
            assert body["code"] == 503
            assert body["description"].startswith("Cassandra is unreachable"), body
    finally:
        gw.stop_clean()


def test_token_check_answers_503_when_cassandra_is_unreachable():
    gw = Gateway(contact_points=f"127.0.0.1:{free_port()}", wait_ready=False)
    try:
        r = api(gw, "00000000-0000-4000-8000-000000000000", "GET", f"/v2/keyspaces/{KSN}/m/1")
        assert r.status_code == 503, r.text
        assert r.json()["description"].startswith("Cassandra is unreachable")
    finally:
        gw.stop_clean()


def test_maps_without_compact_map_data(gateway, token, ks):
    r = api(gateway, token, "GET", f"/v2/keyspaces/{KSN}/m/1",
            params={"compactMapData": "false", "fields": "k,attrs"})
    assert r.status_code == 200, r.text
    assert r.json()["data"] == [{"k": 1, "attrs": [{"key": "a", "value": 1},
                                                   {"key": "b", "value": 2}]}]
    r = api(gateway, token, "GET", f"/v2/keyspaces/{KSN}/m/1",
            params={"compactMapData": "true", "fields": "k,attrs"})
    assert r.json()["data"] == [{"k": 1, "attrs": {"a": 1, "b": 2}}]


@pytest.mark.parametrize("column,value", [
    ("big", 9223372036854775808), ("big", -9223372036854775809),
    ("i", 2147483648), ("i", -2147483649),
    ("s", 32768), ("s", -32769),
    ("t", 128), ("t", -129),
])
def test_integers_past_their_range_are_refused(gateway, token, ks, driver, column, value):
    r = api(gateway, token, "POST", f"/v2/keyspaces/{KSN}/m", {"k": 7, column: value})
    assert r.status_code == 400, r.text
    desc = r.json()["description"]
    assert desc.startswith(f"Invalid path for row to create, problem: Failed to deserialize "
                           f"field 'm.{column}', problem: Invalid Number value ({value})"), desc
    assert desc.endswith("value out of range for " + {"big": "bigint", "i": "int", "s": "smallint",
                                                      "t": "tinyint"}[column]), desc
    assert list(driver.execute(f"SELECT k FROM {KSN}.m WHERE k = 7")) == []


@pytest.mark.parametrize("column,value", [
    ("big", 9223372036854775807), ("big", -9223372036854775808),
    ("i", 2147483647), ("s", -32768), ("t", 127),
])
def test_integers_at_their_range_are_stored(gateway, token, ks, driver, column, value):
    r = api(gateway, token, "POST", f"/v2/keyspaces/{KSN}/m", {"k": 8, column: value})
    assert r.status_code == 201, r.text
    row = driver.execute(f"SELECT {column} FROM {KSN}.m WHERE k = 8").one()
    assert getattr(row, column) == value
    driver.execute(f"DELETE FROM {KSN}.m WHERE k = 8")
