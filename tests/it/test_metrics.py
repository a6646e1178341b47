"""GET /metrics: the Prometheus text page, parsed strictly, and the exact counts it shows after
known requests through the real binary (data checked with the Python driver)."""

import http.client
import re
import socket
import time

import pytest
import requests

from conftest import HOST, Gateway, free_port, get_token

KEYSPACE = "metrics_it"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
           "1", "2.5", "5", "10", "+Inf"]

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(rf"^({NAME})(\{{(.*)\}})? (\S+)$")
LABEL = re.compile(rf'({NAME})="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')
NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$")


def unescape(v):
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)


class Page:
    """One scrape, parsed strictly: HELP then TYPE opens each family once, every sample belongs
    to the family opened last (a histogram's through _bucket, _sum and _count), labels are well
    formed and unique, every value is a number, and the page ends with a newline."""

    def __init__(self, text):
        assert text.endswith("\n"), "the page must end with a newline"
        self.types = {}
        self.samples = {}
        family = None
        for n, line in enumerate(text[:-1].split("\n"), 1):
            where = f"line {n}: {line!r}"
            if line.startswith("# HELP "):
                name, _, help_ = line[7:].partition(" ")
                assert re.fullmatch(NAME, name) and help_, where
                assert name not in self.types, "family repeated: " + where
                family = name
                self.types[name] = None
                continue
            if line.startswith("# TYPE "):
                name, _, type_ = line[7:].partition(" ")
                assert name == family and self.types[name] is None, where
                assert type_ in ("counter", "gauge", "histogram"), where
                self.types[name] = type_
                continue
            m = SAMPLE.match(line)
            assert m, where
            name, labels_text, value = m.group(1), m.group(3), m.group(4)
            assert family is not None and self.types[family] is not None, where
            if self.types[family] == "histogram":
                assert name in (family + "_bucket", family + "_sum", family + "_count"), where
            else:
                assert name == family, where
            labels = {}
            pos = 0
            while labels_text and pos < len(labels_text):
                lm = LABEL.match(labels_text, pos)
                assert lm, where
                assert lm.group(1) not in labels, where
                labels[lm.group(1)] = unescape(lm.group(2))
                pos = lm.end()
            assert NUMBER.match(value), where
            key = (name, tuple(sorted(labels.items())))
            assert key not in self.samples, "sample repeated: " + where
            self.samples[key] = float(value)

    def get(self, name, **labels):
        """The value of NAME with exactly LABELS, 0 when the series is absent."""
        return self.samples.get((name, tuple(sorted(labels.items()))), 0.0)

    def series(self, name):
        """{labels dict as a sorted tuple: value} of every sample called NAME."""
        return {k[1]: v for k, v in self.samples.items() if k[0] == name}


def scrape(gw, path="/metrics"):
    r = requests.get(gw.url(path), timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == CONTENT_TYPE
    return Page(r.text)


def wait_for(gw, check, timeout=10):
    """Scrapes until CHECK(page) holds; returns that page (the last one fails the test)."""
    deadline = time.monotonic() + timeout
    while True:
        page = scrape(gw)
        if check(page) or time.monotonic() > deadline:
            return page
        time.sleep(0.05)


def check_histograms(page):
    """Every route's histogram: buckets in order and cumulative, +Inf == count ==
    cqlgate_http_requests_total summed over that route."""
    hist = "cqlgate_http_request_duration_seconds"
    requests_by_route = {}
    for labels, v in page.series("cqlgate_http_requests_total").items():
        route = dict(labels)["route"]
        requests_by_route[route] = requests_by_route.get(route, 0) + v
    counts = {dict(k)["route"]: v for k, v in page.series(hist + "_count").items()}
    assert counts == requests_by_route
    for route, count in counts.items():
        buckets = [page.get(hist + "_bucket", route=route, le=le) for le in BUCKETS]
        assert len(page.series(hist + "_bucket")) == len(BUCKETS) * len(counts)
        assert buckets == sorted(buckets), route
        assert buckets[-1] == count, route
        assert page.get(hist + "_sum", route=route) >= 0


@pytest.fixture(scope="module")
def gw():
    g = Gateway(workers=2)
    yield g
    g.stop_clean()


@pytest.fixture(scope="module")
def table(gw, driver):
    driver.execute(f"CREATE KEYSPACE IF NOT EXISTS {KEYSPACE} WITH replication = "
                   "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    driver.execute(f"CREATE TABLE IF NOT EXISTS {KEYSPACE}.t (k text PRIMARY KEY, v int)")
    token = get_token(gw)
    deadline = time.monotonic() + 30
    url = gw.url(f"/v2/schemas/keyspaces/{KEYSPACE}/tables/t")
    while requests.get(url, headers={"X-Cassandra-Token": token}, timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the gateway never saw the table"
        time.sleep(0.1)
    yield token
    driver.execute(f"DROP KEYSPACE IF EXISTS {KEYSPACE}")


def test_metrics_page_counts_known_requests(gw, table, driver):
    token = table
    auth = {"X-Cassandra-Token": token}
    rows = gw.url(f"/v2/keyspaces/{KEYSPACE}/t")
    before = scrape(gw)

    r = requests.post(rows, json={"k": "a", "v": 7}, headers=auth, timeout=10)
    assert r.status_code == 201, r.text
    r = requests.get(rows + "/a", headers=auth, timeout=10)
    assert r.status_code == 200 and r.json()["data"] == [{"k": "a", "v": 7}], r.text
    assert [tuple(x) for x in driver.execute(f"SELECT k, v FROM {KEYSPACE}.t")] == [("a", 7)]
    assert requests.get(gw.url("/no/such/route"), timeout=10).status_code == 404
    assert requests.get(rows + "/a", timeout=10).status_code == 401
    again = {"name": "t", "columnDefinitions": [{"name": "k", "typeDefinition": "text"}],
             "primaryKey": {"partitionKey": ["k"]}}
    r = requests.post(gw.url(f"/v2/schemas/keyspaces/{KEYSPACE}/tables"), headers=auth,
                      json=again, timeout=10)
    assert r.status_code == 409, r.text     # Cassandra's ALREADY_EXISTS
    assert requests.post(gw.url("/metrics"), timeout=10).status_code == 405

    after = scrape(gw)
    name = "cqlgate_http_requests_total"
    delta = {}
    for labels, v in after.series(name).items():
        d = dict(labels)
        if v != before.series(name).get(labels, 0):
            delta[(d["route"], d["method"], d["status"])] = v - before.series(name).get(labels, 0)
    assert delta == {
        ("rows_create", "POST", "201"): 1,
        ("rows_get_key", "GET", "200"): 1,
        ("rows_get_key", "GET", "401"): 1,
        ("unmatched", "GET", "404"): 1,
        ("schema_table_create", "POST", "409"): 1,
        ("unmatched", "POST", "405"): 1,
        ("metrics", "GET", "200"): 1,       # the first scrape counts once it is answered
    }
    hist = "cqlgate_http_request_duration_seconds_count"
    assert after.get(hist, route="rows_get_key") - before.get(hist, route="rows_get_key") == 2
    assert after.get(hist, route="unmatched") - before.get(hist, route="unmatched") == 2
    check_histograms(after)

    err = ("cqlgate_cql_errors_total", {"code": "0x2400", "error": "already_exists"})
    assert after.get(err[0], **err[1]) - before.get(err[0], **err[1]) == 1
    assert (after.get("cqlgate_cql_requests_total")
            - before.get("cqlgate_cql_requests_total")) >= 3
    # Each request above came on a connection of its own, and so did the second scrape.
    assert (after.get("cqlgate_http_connections_accepted_total")
            - before.get("cqlgate_http_connections_accepted_total")) == 7
    assert after.get("cqlgate_http_connections_rejected_total") == 0
    assert after.get("cqlgate_node_connections", node="127.0.0.1:9042", state="ready") == 2
    # One node: every CQL request and error is its own.
    node = {"node": "127.0.0.1:9042"}
    assert (after.get("cqlgate_node_requests_total", **node)
            - before.get("cqlgate_node_requests_total", **node)
            == after.get("cqlgate_cql_requests_total") - before.get("cqlgate_cql_requests_total"))
    assert (after.get("cqlgate_node_errors_total", **node)
            - before.get("cqlgate_node_errors_total", **node)) == 1
    assert after.get("cqlgate_node_up", **node) == 1


def test_metrics_gauges_settle_when_idle(gw, table):
    # Only the scrape's own connection stays open; no CQL request is left in flight.
    page = wait_for(gw, lambda p: p.get("cqlgate_http_connections_open") == 1
                    and p.get("cqlgate_cql_requests_in_flight") == 0)
    assert page.get("cqlgate_http_connections_open") == 1
    assert page.get("cqlgate_cql_requests_in_flight") == 0
    assert page.get("cqlgate_node_connections", node="127.0.0.1:9042", state="ready") == 2
    assert page.series("cqlgate_cql_transport_errors_total") == {}
    assert page.get("cqlgate_node_requests_in_flight", node="127.0.0.1:9042") == 0
    assert page.get("cqlgate_node_reconnects_total", node="127.0.0.1:9042") == 0


def test_metrics_families_and_process(gw):
    page = scrape(gw)
    assert page.types == {
        "cqlgate_http_requests_total": "counter",
        "cqlgate_http_request_duration_seconds": "histogram",
        "cqlgate_http_connections_open": "gauge",
        "cqlgate_http_connections_accepted_total": "counter",
        "cqlgate_http_connections_rejected_total": "counter",
        "cqlgate_cql_requests_total": "counter",
        "cqlgate_cql_requests_in_flight": "gauge",
        "cqlgate_cql_errors_total": "counter",
        "cqlgate_cql_transport_errors_total": "counter",
        "cqlgate_node_connections": "gauge",
        "cqlgate_node_up": "gauge",
        "cqlgate_node_requests_total": "counter",
        "cqlgate_node_requests_in_flight": "gauge",
        "cqlgate_node_errors_total": "counter",
        "cqlgate_node_reconnects_total": "counter",
        "process_cpu_seconds_total": "counter",
        "process_resident_memory_bytes": "gauge",
        "process_virtual_memory_bytes": "gauge",
        "process_open_fds": "gauge",
        "process_max_fds": "gauge",
        "process_start_time_seconds": "gauge",
    }
    assert page.get("process_resident_memory_bytes") > 1 << 20
    assert page.get("process_open_fds") >= 5
    assert 0 < page.get("process_cpu_seconds_total") < 600
    assert abs(page.get("process_start_time_seconds") - time.time()) < 600


def test_metrics_routes(gw):
    page = scrape(gw, "/api/rest/metrics")
    assert page.get("cqlgate_cql_requests_in_flight") >= 0
    r = requests.head(gw.url("/metrics"), timeout=10)
    assert r.status_code == 200 and r.text == ""
    assert r.headers["Content-Type"] == CONTENT_TYPE
    assert int(r.headers["Content-Length"]) > 1000
    r = requests.post(gw.url("/metrics"), timeout=10)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"


def test_metrics_rejected_connections():
    gw = Gateway("--max-connections", "2", workers=1, wait_ready=False)
    try:
        c = http.client.HTTPConnection(HOST, gw.port, timeout=10)

        def via_c():
            c.request("GET", "/metrics")
            r = c.getresponse()
            assert r.status == 200
            return Page(r.read().decode())

        # Start from c alone: the start-up probe's connection may take a moment to close.
        deadline = time.monotonic() + 10
        first = via_c()
        while first.get("cqlgate_http_connections_open") != 1:
            assert time.monotonic() < deadline, "the probe connection never closed"
            time.sleep(0.05)
            first = via_c()
        with socket.create_connection((HOST, gw.port), timeout=10) as d:
            d.sendall(b"GET /checker/liveness HTTP/1.1\r\nHost: x\r\n\r\n")
            assert d.recv(1024).startswith(b"HTTP/1.1 200 OK\r\n")
            # A third connection is over the limit: accepted by the kernel, closed at once.
            with socket.create_connection((HOST, gw.port), timeout=10) as e:
                try:
                    e.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                    assert e.recv(1024) == b""
                except (ConnectionResetError, BrokenPipeError):
                    pass
            page = via_c()
        c.close()
        assert first.get("cqlgate_http_connections_rejected_total") == 0
        assert page.get("cqlgate_http_connections_rejected_total") == 1
        assert (page.get("cqlgate_http_connections_accepted_total")
                - first.get("cqlgate_http_connections_accepted_total")) == 1
        assert page.get("cqlgate_http_connections_open") == 2
        metrics_200 = {"route": "metrics", "method": "GET", "status": "200"}
        assert (page.get("cqlgate_http_requests_total", **metrics_200)
                - first.get("cqlgate_http_requests_total", **metrics_200)) == 1
    finally:
        gw.stop_clean()


def test_metrics_without_cassandra():
    port = free_port()
    gw = Gateway(contact_points=f"127.0.0.1:{port}", wait_ready=False)
    try:
        page = wait_for(gw, lambda p: p.get("cqlgate_cql_transport_errors_total",
                                            kind="connect") >= 2)
        assert page.get("cqlgate_cql_transport_errors_total", kind="connect") >= 2
        assert page.get("cqlgate_node_connections", node=f"127.0.0.1:{port}",
                        state="ready") == 0
        assert len(page.series("cqlgate_node_connections")) == 1
        node = {"node": f"127.0.0.1:{port}"}
        assert page.get("cqlgate_node_up", **node) == 0
        assert page.get("cqlgate_node_errors_total", **node) >= 2     # the failed connects
        assert page.get("cqlgate_node_requests_total", **node) == 0
        assert page.get("cqlgate_cql_requests_total") == 0
        assert page.get("cqlgate_cql_requests_in_flight") == 0
        assert requests.get(gw.url("/checker/readiness"), timeout=5).status_code == 503
    finally:
        gw.stop_clean()
