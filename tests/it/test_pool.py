"""Cluster awareness on one node: the topology cqlgate reads, its pool options and their limits,
backpressure past --max-in-flight, and the refusal of a partitioner other than Murmur3 (played by
a scripted peer, since no test node runs another). The three-node behaviour is in tests/cluster."""

import struct
import subprocess
import threading
import time

import requests

from conftest import CQLGATE, HOST, Gateway, free_port, get_token
from test_faults import Peer, envelope
from test_health import GatedProxy

KS = "cqlgate_it_pool"


def test_topology_of_one_node(gateway):
    out = gateway.output()
    assert "cluster: 1 node(s), local data centre datacenter1: 127.0.0.1:9042 (datacenter1/rack1)" \
        in out, out


def test_unknown_local_dc_still_serves():
    gw = Gateway("--local-dc", "nowhere", workers=1)
    try:
        assert "cluster: no node is in the local data centre nowhere" in gw.output()
        # The node of another data centre is used when none of the local one is there.
        r = requests.get(gw.url("/v2/schemas/keyspaces/system"),
                         headers={"X-Cassandra-Token": get_token(gw)}, timeout=10)
        assert r.status_code == 200, r.text
    finally:
        gw.stop_clean()


def test_pool_options_out_of_range():
    for flag in ("--pool-size", "--max-in-flight"):
        for value in ("0", "100000"):
            p = subprocess.run([CQLGATE, flag, value, "--listen", f"{HOST}:{free_port()}"],
                               capture_output=True, text=True, timeout=20)
            assert p.returncode == 2, (flag, value, p.stdout, p.stderr)
            assert flag[2:] in p.stderr, p.stderr


def test_backpressure_503_at_once(driver):
    driver.execute(f"CREATE KEYSPACE IF NOT EXISTS {KS} WITH replication = "
                   "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    driver.execute(f"CREATE TABLE IF NOT EXISTS {KS}.kv (k text PRIMARY KEY, v int)")
    driver.execute(f"INSERT INTO {KS}.kv (k, v) VALUES ('a', 1)")
    gw = Gateway("--max-in-flight", "1", "--auth", "none", workers=1)
    try:
        url = gw.url(f"/v2/keyspaces/{KS}/kv/a")
        # Prepared first. The control connection is this worker's only connection too: a schema
        # reload it runs (say for an event of the table just made) may hold the one slot a moment.
        for _ in range(50):
            r = requests.get(url, timeout=10)
            if r.status_code != 503:
                break
            time.sleep(0.1)
        assert r.status_code == 200, r.text
        barrier = threading.Barrier(24)
        results = []
        lock = threading.Lock()

        def client():
            s = requests.Session()
            barrier.wait()
            for _ in range(5):
                r = s.get(url, timeout=10)
                with lock:
                    results.append((r.status_code, r.text))

        threads = [threading.Thread(target=client) for _ in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = [st for st, _ in results]
        assert set(statuses) <= {200, 503}, statuses
        assert 200 in statuses
        busy = [body for st, body in results if st == 503]
        assert busy, "one connection with room for one request served 120 concurrent ones"
        assert all("Cassandra connection is saturated; retry later" in b for b in busy), busy[:3]
        page = requests.get(gw.url("/metrics"), timeout=10).text
        assert 'cqlgate_node_requests_in_flight{node="127.0.0.1:9042"} 0' in page
    finally:
        gw.stop_clean()
        driver.execute(f"DROP KEYSPACE IF EXISTS {KS}")


def rows_result(columns, rows):
    """A RESULT Rows body (global table spec) of COLUMNS [(name, option bytes)] and ROWS."""
    def string(s):
        return struct.pack(">H", len(s)) + s.encode()

    body = struct.pack(">iii", 2, 0x0001, len(columns)) + string("system") + string("local")
    for name, option in columns:
        body += string(name) + option
    body += struct.pack(">i", len(rows))
    for row in rows:
        for cell in row:
            body += struct.pack(">i", len(cell)) + cell
    return body


def set_of_text(items):
    out = struct.pack(">i", len(items))
    for s in items:
        out += struct.pack(">i", len(s)) + s.encode()
    return out


def test_other_partitioner_refused_at_start():
    VARCHAR = struct.pack(">H", 0x000D)
    SET_VARCHAR = struct.pack(">HH", 0x0022, 0x000D)
    answered = []

    def control(c, stream):
        if not answered:                            # REGISTER
            c.sendall(envelope(0x02, stream, b""))
        else:                                       # SELECT ... FROM system.local
            c.sendall(envelope(0x08, stream, rows_result(
                [("data_center", VARCHAR), ("rack", VARCHAR), ("tokens", SET_VARCHAR),
                 ("partitioner", VARCHAR)],
                [[b"dc1", b"r1", set_of_text(["6b6579"]),
                  b"org.apache.cassandra.dht.ByteOrderedPartitioner"]])))
        answered.append(stream)

    peer = Peer(control)
    try:
        p = subprocess.run([CQLGATE, "--listen", f"{HOST}:{free_port()}", "--workers", "1",
                            "--auth", "none", "--contact-points", f"{HOST}:{peer.port}"],
                           capture_output=True, text=True, timeout=30)
    finally:
        peer.close()
    assert p.returncode == 1, p.stderr
    assert ("cluster: the partitioner is org.apache.cassandra.dht.ByteOrderedPartitioner; "
            "cqlgate supports org.apache.cassandra.dht.Murmur3Partitioner only: exiting") \
        in p.stderr + p.stdout


class EventDroppingProxy(GatedProxy):
    """The proxy of test_health for protocol v4 without compression, dropping every EVENT
    envelope on its way to cqlgate, so the gateway never hears of schema changes."""

    @staticmethod
    def _read(sock, n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise OSError("closed")
            data += chunk
        return data

    def _pump(self, pair, a, b, upstream):
        try:
            while True:
                head = self._read(a, 9)
                body = self._read(a, struct.unpack(">I", head[5:9])[0])
                if not upstream and head[4] == 0x0C:
                    continue                        # an EVENT: dropped
                b.sendall(head + body)
        except OSError:
            for sock in (a, b):
                try:
                    sock.close()
                except OSError:
                    pass


def test_table_unknown_to_the_snapshot_is_reloaded(driver):
    """A table another client created, whose SCHEMA_CHANGE event cqlgate missed, is found by
    reloading its keyspace once instead of answering 400; a table that does not exist still gets
    its 400."""
    driver.execute(f"CREATE KEYSPACE IF NOT EXISTS {KS} WITH replication = "
                   "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    proxy = EventDroppingProxy()
    gw = Gateway("--auth", "none", "--protocol-version", "4", workers=1,
                 contact_points=f"{HOST}:{proxy.port}")
    try:
        driver.execute(f"CREATE TABLE {KS}.late (k text PRIMARY KEY, v int)")
        driver.execute(f"INSERT INTO {KS}.late (k, v) VALUES ('a', 1)")
        time.sleep(1)                               # an event would have arrived by now
        r = requests.get(gw.url(f"/v2/keyspaces/{KS}/late/a"), timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["data"] == [{"k": "a", "v": 1}]
        r = requests.get(gw.url(f"/v2/keyspaces/{KS}/never/a"), timeout=10)
        assert r.status_code == 400 and "Table 'never' not found" in r.text, r.text
    finally:
        gw.stop_clean()
        proxy.close()
        driver.execute(f"DROP KEYSPACE IF EXISTS {KS}")
