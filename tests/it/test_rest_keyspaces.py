"""REST v2 keyspace endpoints (spec/rest-v2.md 3.1, 6.2) on the real binary against the real
Cassandra, checked with the Python driver: create (SimpleStrategy and NTS), read, list, drop,
every 6.2 error, quoting of odd names, schema events from other clients, and readiness."""

import socket
import threading
import time

import pytest
import requests

from conftest import Gateway, get_token

KS = "/v2/schemas/keyspaces"
DC = "datacenter1"


def api(gw, token, method, path, body=None, data=None):
    headers = {"X-Cassandra-Token": token}
    if data is not None:
        headers["Content-Type"] = "application/json"
    return requests.request(method, gw.url(path), json=body, data=data, headers=headers,
                            timeout=30)


def replication(driver, name):
    row = driver.execute("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = %s",
                         [name]).one()
    return None if row is None else dict(row.replication)


def all_keyspaces(driver):
    return {r.keyspace_name for r in driver.execute("SELECT keyspace_name FROM "
                                                    "system_schema.keyspaces")}


def drop(driver, name):
    driver.execute('DROP KEYSPACE IF EXISTS "%s"' % name.replace('"', '""'))


def assert_error(r, status, description, grpc=None):
    assert r.status_code == status, r.text
    assert r.json() == {"description": description, "code": status, "grpcStatus": grpc,
                        "internalTxId": None}


# ---- create, read, drop --------------------------------------------------------------------------

def test_create_simple(gateway, token, driver):
    drop(driver, "rest_ks_simple")
    r = api(gateway, token, "POST", KS, {"name": "rest_ks_simple", "replicas": 2})
    assert r.status_code == 201, r.text
    assert r.json() == {"name": "rest_ks_simple"}
    assert replication(driver, "rest_ks_simple") == {
        "class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": "2"}
    # Seen at once through every worker: the DDL reloaded the keyspace before answering.
    for _ in range(6):
        r = api(gateway, token, "GET", KS + "/rest_ks_simple")
        assert r.status_code == 200, r.text
        assert r.json() == {"data": {"name": "rest_ks_simple"}}
    # Always IF NOT EXISTS: a second create is 201 too and changes nothing.
    r = api(gateway, token, "POST", KS, {"name": "rest_ks_simple"})
    assert r.status_code == 201
    assert replication(driver, "rest_ks_simple")["replication_factor"] == "2"
    assert api(gateway, token, "DELETE", KS + "/rest_ks_simple").status_code == 204


def test_create_simple_default_replicas(gateway, token, driver):
    drop(driver, "rest_ks_default")
    r = api(gateway, token, "POST", KS, data='{"name":"rest_ks_default","extra":[1]}')
    assert r.status_code == 201, r.text
    assert replication(driver, "rest_ks_default")["replication_factor"] == "1"
    drop(driver, "rest_ks_default")


def test_create_nts(gateway, token, driver):
    drop(driver, "rest_ks_nts")
    r = api(gateway, token, "POST", KS, {"name": "rest_ks_nts", "datacenters": [{"name": DC}]})
    assert r.status_code == 201, r.text
    assert replication(driver, "rest_ks_nts") == {
        "class": "org.apache.cassandra.locator.NetworkTopologyStrategy", DC: "3"}
    r = api(gateway, token, "GET", KS + "/rest_ks_nts")
    assert r.json() == {"data": {"name": "rest_ks_nts",
                                 "datacenters": [{"name": DC, "replicas": 3}]}}
    r = api(gateway, token, "GET", KS + "/rest_ks_nts?raw=TRUE")
    assert r.json() == {"name": "rest_ks_nts", "datacenters": [{"name": DC, "replicas": 3}]}
    drop(driver, "rest_ks_nts")
    r = api(gateway, token, "POST", KS,
            {"name": "rest_ks_nts", "datacenters": [{"name": DC, "replicas": 1}]})
    assert r.status_code == 201
    assert replication(driver, "rest_ks_nts")[DC] == "1"
    assert api(gateway, token, "DELETE", KS + "/rest_ks_nts").status_code == 204


def test_list_and_raw(gateway, token, driver):
    drop(driver, "rest_ks_list")
    assert api(gateway, token, "POST", KS, {"name": "rest_ks_list"}).status_code == 201
    r = api(gateway, token, "GET", KS)
    assert r.status_code == 200
    data = r.json()["data"]
    assert list(r.json()) == ["data"]
    names = [k["name"] for k in data]
    assert {"rest_ks_list", "system", "system_schema", "data_endpoint_auth"} <= set(names)
    assert set(names) == all_keyspaces(driver)
    assert {"name": "rest_ks_list"} in data
    raw = api(gateway, token, "GET", KS + "?raw=true").json()
    assert raw == data
    assert api(gateway, token, "GET", KS + "?raw=false").json() == {"data": data}
    assert api(gateway, token, "GET", KS + "/").status_code == 200
    drop(driver, "rest_ks_list")


def test_get_missing(gateway, token):
    r = api(gateway, token, "GET", KS + "/no_such_keyspace_here")
    assert_error(r, 404, "Unable to describe keyspace 'no_such_keyspace_here'")
    r = api(gateway, token, "GET", KS + "/SYSTEM")
    assert_error(r, 404, "Unable to describe keyspace 'SYSTEM'")


def test_delete_twice(gateway, token, driver):
    drop(driver, "rest_ks_del")
    assert api(gateway, token, "POST", KS, {"name": "rest_ks_del"}).status_code == 201
    r = api(gateway, token, "DELETE", KS + "/rest_ks_del")
    assert r.status_code == 204 and r.content == b""
    assert replication(driver, "rest_ks_del") is None
    assert api(gateway, token, "GET", KS + "/rest_ks_del").status_code == 404
    assert api(gateway, token, "DELETE", KS + "/rest_ks_del").status_code == 204


# ---- 6.2 errors --------------------------------------------------------------------------------

def test_create_errors(gateway, token, driver):
    before = all_keyspaces(driver)
    pre = "Invalid JSON payload for Keyspace creation, problem: "
    r = api(gateway, token, "POST", KS, data="{nope")
    assert r.status_code == 400 and r.json()["description"].startswith(pre), r.text
    assert r.json()["grpcStatus"] is None
    r = api(gateway, token, "POST", KS, data="")
    assert r.status_code == 400 and r.json()["description"].startswith(pre), r.text
    cases = [
        ('[1, 2]', "Invalid JSON payload for Keyspace creation; must be JSON Object: [1,2]"),
        ('"ks"', 'Invalid JSON payload for Keyspace creation; must be JSON Object: "ks"'),
        ('{"replicas": 1}', "Missing 'name' String property in payload Object: {\"replicas\":1}"),
        ('{"name": null}', "Missing 'name' String property in payload Object: {\"name\":null}"),
        ('{"name":"k1","datacenters":[]}',
         "malformatted JSON payload ({\"name\":\"k1\",\"datacenters\":[]}) for Keyspace "
         "creation: empty 'datacenters'"),
        ('{"name":"k1","datacenters":[{"replicas":2}]}',
         "malformatted JSON payload ({\"name\":\"k1\",\"datacenters\":[{\"replicas\":2}]}) for "
         "Keyspace creation: one of 'datacenters' entries missing 'name'"),
        ('{"name":"k1","datacenters":[{"name":"%s"},{"name":""}]}' % DC,
         "malformatted JSON payload ({\"name\":\"k1\",\"datacenters\":[{\"name\":\"%s\"},"
         "{\"name\":\"\"}]}) for Keyspace creation: one of 'datacenters' entries missing "
         "'name'" % DC),
    ]
    for data, desc in cases:
        assert_error(api(gateway, token, "POST", KS, data=data), 400, desc)
    for data in ['{"name":"k1","replicas":"many"}', '{"name":"k1","replicas":1.5}',
                 '{"name":{"a":1}}', '{"name":"k1","datacenters":{"dc":1}}',
                 '{"name":"k1","datacenters":["dc1"]}',
                 '{"name":"k1","datacenters":[{"name":"dc1","replicas":[3]}]}']:
        r = api(gateway, token, "POST", KS, data=data)
        assert r.status_code == 400, (data, r.text)
        assert r.json()["description"].startswith("Malformatted JSON payload ("), r.text
    r = api(gateway, token, "POST", KS, {"name": "k1", "datacenters": [{"name": "dc_nowhere"},
                                                                        {"name": "dc2"}]})
    assert_error(r, 400, "Bad request: one or more of datacenters passed ([dc_nowhere, dc2]) "
                         "invalid")
    # Cassandra's own refusals map through the error table.
    r = api(gateway, token, "POST", KS, {"name": "k1", "replicas": -1})
    assert r.status_code == 400 and r.json()["grpcStatus"] in ("INVALID_ARGUMENT",
                                                               "FAILED_PRECONDITION"), r.text
    r = api(gateway, token, "POST", KS, {"name": "x" * 49})
    assert r.status_code == 400 and r.json()["grpcStatus"] == "INVALID_ARGUMENT", r.text
    assert r.json()["description"].startswith("Invalid argument for gRPC operation "
                                              "(Status.Code.INVALID_ARGUMENT->400): "
                                              "INVALID_ARGUMENT: ")
    assert all_keyspaces(driver) == before


# ---- names -------------------------------------------------------------------------------------

def test_mixed_case_name(gateway, token, driver):
    drop(driver, "MixedCase")
    r = api(gateway, token, "POST", KS, {"name": "MixedCase"})
    assert r.status_code == 201, r.text
    assert r.json() == {"name": "MixedCase"}
    assert "MixedCase" in all_keyspaces(driver)
    assert "mixedcase" not in all_keyspaces(driver)
    assert api(gateway, token, "GET", KS + "/MixedCase").json() == {"data": {"name": "MixedCase"}}
    assert api(gateway, token, "GET", KS + "/mixedcase").status_code == 404
    assert api(gateway, token, "DELETE", KS + "/mixedcase").status_code == 204
    assert "MixedCase" in all_keyspaces(driver)
    assert api(gateway, token, "DELETE", KS + "/MixedCase").status_code == 204
    assert "MixedCase" not in all_keyspaces(driver)


def test_no_injection(gateway, token, driver):
    driver.execute("CREATE KEYSPACE IF NOT EXISTS rest_ks_victim WITH replication = "
                   "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    before = all_keyspaces(driver)
    evil = ['a"b', 'x"; DROP KEYSPACE rest_ks_victim; --',
            'rest_ks_victim" WITH replication = {\'class\':\'SimpleStrategy\'}; --',
            "it's", "a\u0000b", "\u00e9t\u00e9"]
    for name in evil:
        r = api(gateway, token, "POST", KS, {"name": name})
        assert r.status_code == 400, (name, r.text)
        assert r.json()["grpcStatus"] == "INVALID_ARGUMENT", r.text
        r = api(gateway, token, "DELETE", KS + "/" + requests.utils.quote(name, safe=""))
        assert r.status_code in (204, 400), (name, r.text)
        r = api(gateway, token, "GET", KS + "/" + requests.utils.quote(name, safe=""))
        assert r.status_code == 404
    # A data centre name is a string literal: a quote inside cannot end it.
    r = api(gateway, token, "POST", KS, {"name": "rest_ks_dcinj", "datacenters": [
        {"name": "%s': 1, 'x" % DC}]})
    assert r.status_code == 400, r.text
    r = api(gateway, token, "DELETE", KS + "/rest_ks_victim%22%3B%20DROP%20KEYSPACE%20system_auth")
    assert r.status_code == 400, r.text
    assert r.json()["grpcStatus"] == "INVALID_ARGUMENT"
    assert all_keyspaces(driver) == before
    drop(driver, "rest_ks_victim")


# ---- schema events and readiness ------------------------------------------------------------------

def test_schema_change_from_another_client(gateway, token, driver):
    drop(driver, "rest_ks_event")
    assert api(gateway, token, "GET", KS + "/rest_ks_event").status_code == 404
    driver.execute("CREATE KEYSPACE rest_ks_event WITH replication = "
                   "{'class': 'NetworkTopologyStrategy', '%s': 1}" % DC)
    start = time.monotonic()
    while True:
        r = api(gateway, token, "GET", KS + "/rest_ks_event")
        if r.status_code == 200:
            break
        assert time.monotonic() - start < 1.0, "keyspace not seen within a second"
        time.sleep(0.02)
    assert r.json() == {"data": {"name": "rest_ks_event",
                                 "datacenters": [{"name": DC, "replicas": 1}]}}
    driver.execute("ALTER KEYSPACE rest_ks_event WITH replication = "
                   "{'class': 'NetworkTopologyStrategy', '%s': 2}" % DC)
    start = time.monotonic()
    while api(gateway, token, "GET", KS + "/rest_ks_event?raw=true").json() != {
            "name": "rest_ks_event", "datacenters": [{"name": DC, "replicas": 2}]}:
        assert time.monotonic() - start < 1.0, "ALTER not seen within a second"
        time.sleep(0.02)
    drop(driver, "rest_ks_event")
    start = time.monotonic()
    while api(gateway, token, "GET", KS + "/rest_ks_event").status_code != 404:
        assert time.monotonic() - start < 1.0, "DROP not seen within a second"
        time.sleep(0.02)


def test_readiness(gateway):
    r = requests.get(gateway.url("/checker/readiness"), timeout=10)
    assert r.status_code == 200 and r.text == "READY"


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_not_ready_without_cassandra():
    gw = Gateway(contact_points=f"127.0.0.1:{closed_port()}", wait_ready=False)
    try:
        time.sleep(0.5)
        r = requests.get(gw.url("/checker/readiness"), timeout=10)
        assert r.status_code == 503 and r.text == "NOT READY"
        r = requests.get(gw.url(KS), headers={"X-Cassandra-Token": "5d2c5d2c-0000-4000-8000-"
                                                                   "000000000000"}, timeout=10)
        assert r.status_code == 503, r.text
        assert r.json()["code"] == 503
        r = requests.post(gw.url("/v1/auth"), json={"username": "cassandra",
                                                    "password": "cassandra"}, timeout=10)
        assert r.status_code == 503, r.text
        assert r.json()["description"].startswith("Failed to create token: ")
        assert r.headers["Cache-Control"] == "no-store, no-transform, max-age=0, s-maxage=0"
        assert requests.get(gw.url("/checker/liveness"), timeout=10).text == "UP"
    finally:
        gw.stop_clean()


class Proxy:
    """A TCP forwarder from a local port to 127.0.0.1:9042, started on demand."""

    def __init__(self, port):
        self.port = port
        self.sock = None
        self.conns = []
        self.lock = threading.Lock()

    def start(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", 9042))
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)    # wakes the thread blocked in accept
            except OSError:
                pass
            self.sock.close()
        with self.lock:
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()


def test_ready_once_cassandra_is_reachable(driver):
    drop(driver, "rest_ks_outage")
    proxy = Proxy(closed_port())
    gw = Gateway(contact_points=f"127.0.0.1:{proxy.port}", wait_ready=False)
    try:
        time.sleep(1.0)
        assert not gw.ready()
        proxy.start()
        gw.wait_ready(timeout=30)
        # Readiness follows worker 0; the other worker reconnects on its own backoff (at most
        # 10 s plus jitter), and answers 503 until then.
        deadline = time.monotonic() + 15
        while True:
            r = requests.post(gw.url("/v1/auth"), json={"username": "cassandra",
                                                        "password": "cassandra"}, timeout=10)
            if r.status_code == 201:
                break
            assert r.status_code == 503 and time.monotonic() < deadline, r.text
            time.sleep(0.1)
        tok = r.json()["authToken"]
        for _ in range(20):
            r = requests.get(gw.url(KS), headers={"X-Cassandra-Token": tok}, timeout=10)
            if r.status_code == 200:
                break
            assert r.status_code == 503 and time.monotonic() < deadline, r.text
            time.sleep(0.1)
        assert r.status_code == 200, r.text
        # Losing Cassandra makes it not ready again.
        proxy.stop()
        deadline = time.monotonic() + 10
        while gw.ready():
            assert time.monotonic() < deadline, "still READY after the connection was lost"
            time.sleep(0.05)
        # A change made while the gateway could not hear events shows after the reconnect,
        # which reloads the whole schema.
        driver.execute("CREATE KEYSPACE rest_ks_outage WITH replication = "
                       "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        proxy = Proxy(proxy.port)
        proxy.start()
        gw.wait_ready(timeout=30)
        deadline = time.monotonic() + 15
        while True:
            r = requests.get(gw.url(KS + "/rest_ks_outage"), headers={"X-Cassandra-Token": tok},
                             timeout=10)
            if r.status_code == 200:
                break
            assert r.status_code == 503 and time.monotonic() < deadline, r.text
            time.sleep(0.1)
        assert r.json() == {"data": {"name": "rest_ks_outage"}}
    finally:
        proxy.stop()
        gw.stop_clean()
        drop(driver, "rest_ks_outage")
