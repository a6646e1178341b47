"""cqlgate on three real Cassandra nodes (127.0.0.2-4): token-aware routing, a table made by
another client, kill -9 of a node under load, its restart, and a restart of the whole cluster.
Run with `make test-cluster`; the tests run in file order and share the cluster."""

import datetime
import threading
import time
import uuid

import pytest
import requests
from cassandra import ConsistencyLevel
from cassandra.query import SimpleStatement

from conftest import (NODES, Gateway, contact_points, kill9, node_label, node_pid, nodetool,
                      scrape, start_cluster, stop_cluster)

KS1 = "cqlgate_cl_rf1"      # one replica per row: routing shows in per-node counters
KS3 = "cqlgate_cl_rf3"      # three replicas, written and read at LOCAL_QUORUM


def rows_url(gw, ks, table, key=None):
    path = f"/v2/keyspaces/{ks}/{table}" + (f"/{key}" if key is not None else "")
    return gw.url(path)


@pytest.fixture(scope="module")
def keyspaces(driver):
    for ks, rf in ((KS1, 1), (KS3, 3)):
        driver.execute(f"DROP KEYSPACE IF EXISTS {ks}")
        driver.execute(f"CREATE KEYSPACE {ks} WITH replication = "
                       f"{{'class': 'SimpleStrategy', 'replication_factor': {rf}}}")
        driver.execute(f"CREATE TABLE {ks}.kv (k text PRIMARY KEY, v int)")
    yield
    for ks in (KS1, KS3):
        try:
            driver.execute(f"DROP KEYSPACE IF EXISTS {ks}")
        except Exception:       # the last test may leave the cluster restarting
            pass


@pytest.fixture(scope="module")
def gw(keyspaces):
    g = Gateway("--auth", "none", contact_points=contact_points(), workers=2)
    yield g
    g.stop_clean()


def node_requests(page):
    return {h: page.get("cqlgate_node_requests_total", node=node_label(h)) for h in NODES}


def test_topology_and_metrics(gw):
    # Ready needs one connection per worker; the pools to the other nodes open right after.
    deadline = time.monotonic() + 20
    while True:
        page = scrape(gw)
        up = [page.get("cqlgate_node_connections", node=node_label(h), state="ready")
              for h in NODES]
        if up == [2] * len(NODES) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for h in NODES:
        assert page.get("cqlgate_node_up", node=node_label(h)) == 1, h
        # one connection per worker to every node, --pool-size 1
        assert page.get("cqlgate_node_connections", node=node_label(h), state="ready") == 2
    assert "cluster: 3 node(s), local data centre datacenter1" in gw.output()


def test_pool_size(keyspaces):
    g = Gateway("--auth", "none", "--pool-size", "3", contact_points=contact_points(), workers=1)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            page = scrape(g)
            if all(page.get("cqlgate_node_connections", node=node_label(h), state="ready") == 3
                   for h in NODES):
                break
            time.sleep(0.1)
        for h in NODES:
            assert page.get("cqlgate_node_connections", node=node_label(h), state="ready") == 3
    finally:
        g.stop_clean()


def test_routing_to_the_replica(gw, driver):
    """Reads by full primary key go to the key's only replica (RF 1), by the driver's own token
    map; round-robin would spread them over the three nodes."""
    keys = [f"key-{i}" for i in range(6)]
    for i, k in enumerate(keys):
        driver.execute(f"INSERT INTO {KS1}.kv (k, v) VALUES (%s, %s)", (k, i))
    meta = driver.cluster.metadata
    owners = {}
    for k in keys:
        replicas = meta.get_replicas(KS1, k.encode())      # the routing key of a text key
        assert len(replicas) == 1
        owners[k] = replicas[0].address
    assert len(set(owners.values())) >= 2, "the keys should fall on several nodes"
    s = requests.Session()
    for k in keys:                      # prepare once, off the count
        assert s.get(rows_url(gw, KS1, "kv", k), timeout=10).status_code == 200
    before = node_requests(scrape(gw))
    per_key = 20
    for k in keys:
        for _ in range(per_key):
            r = s.get(rows_url(gw, KS1, "kv", k), timeout=10)
            assert r.status_code == 200 and r.json()["data"][0]["k"] == k
    after = node_requests(scrape(gw))
    want = {h: 0 for h in NODES}
    for k in keys:
        want[owners[k]] += per_key
    got = {h: after[h] - before[h] for h in NODES}
    # Every read went to its replica; the scrapes themselves send no CQL.
    assert got == want, (got, want)


def test_table_from_the_driver_usable_on_every_worker(gw, driver):
    driver.execute(f"CREATE TABLE {KS3}.fresh (k text PRIMARY KEY, v int)")
    # Fresh connections land on both workers (SO_REUSEPORT): every one must know the table.
    for i in range(16):
        r = requests.post(rows_url(gw, KS3, "fresh"), json={"k": f"f{i}", "v": i}, timeout=10,
                          headers={"Connection": "close"})
        assert r.status_code == 201, r.text
    rows = driver.execute(SimpleStatement(f"SELECT k, v FROM {KS3}.fresh",
                                          consistency_level=ConsistencyLevel.QUORUM))
    assert sorted(r.k for r in rows) == sorted(f"f{i}" for i in range(16))


def test_ddl_through_cqlgate_waits_for_agreement(gw):
    """A table created through cqlgate is answered only once every node has the new schema: each
    node, asked on its own right after the 201, knows the table and reports one schema version."""
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import WhiteListRoundRobinPolicy

    sessions = []
    try:
        for h in NODES:
            only_h = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([h]))
            c = Cluster([h], protocol_version=5, execution_profiles={EXEC_PROFILE_DEFAULT: only_h},
                        auth_provider=PlainTextAuthProvider("cassandra", "cassandra"))
            sessions.append(c.connect())
        for i in range(3):
            name = f"made{i}"
            r = requests.post(gw.url(f"/v2/schemas/keyspaces/{KS3}/tables"), timeout=30, json={
                "name": name, "columnDefinitions": [{"name": "k", "typeDefinition": "text"}],
                "primaryKey": {"partitionKey": ["k"]}})
            assert r.status_code == 201, r.text
            versions = set()
            for s in sessions:
                row = s.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name "
                                "= %s AND table_name = %s", (KS3, name)).one()
                assert row is not None, f"{s.cluster.contact_points[0]} does not know {name} yet"
                versions.add(s.execute("SELECT schema_version FROM system.local").one()[0])
            assert len(versions) == 1, versions
    finally:
        for s in sessions:
            s.cluster.shutdown()


class Load:
    """Steady HTTP load: reader threads GET existing rows, writer threads POST new ones. Every
    outcome is recorded with its time."""

    def __init__(self, gw, read_keys, readers=2, writers=1, pause=0.005):
        self.gw = gw
        self.read_keys = read_keys
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.reads = []         # (time, status, body)
        self.writes = []        # (time, status, key, body)
        self.threads = [threading.Thread(target=self._reader, args=(i,), daemon=True)
                        for i in range(readers)]
        self.threads += [threading.Thread(target=self._writer, args=(i,), daemon=True)
                         for i in range(writers)]
        self.pause = pause

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)

    def _reader(self, n):
        s = requests.Session()
        i = n
        while not self.stop.is_set():
            k = self.read_keys[i % len(self.read_keys)]
            i += 1
            try:
                r = s.get(rows_url(self.gw, KS3, "kv", k), timeout=15)
                st = r.status_code if r.status_code != 200 or r.json()["data"] else -1
                body = r.text
            except requests.RequestException as e:
                st, body = 0, str(e)
            with self.lock:
                self.reads.append((time.time(), st, body))
            time.sleep(self.pause)

    def _writer(self, n):
        s = requests.Session()
        while not self.stop.is_set():
            k = f"w{n}-{uuid.uuid4()}"
            try:
                r = s.post(rows_url(self.gw, KS3, "kv"), json={"k": k, "v": 1}, timeout=15)
                st, body = r.status_code, r.text
            except requests.RequestException as e:
                st, body = 0, str(e)
            with self.lock:
                self.writes.append((time.time(), st, k, body))
            time.sleep(self.pause)


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def log_time(line):
    """The time of a log line ("2026-11-24T20:17:29.448Z info ...") as a UNIX timestamp."""
    stamp = line.split(" ", 1)[0]
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def test_kill_node_under_load_then_restart(gw, driver, record_property):
    """kill -9 of the control connection's node (the contact point) under steady reads and writes:
    no read fails, failed writes say why with a 503 or 504, every acknowledged write reads back
    with the driver; then the node restarts and takes traffic again within seconds of its UP."""
    read_keys = [f"r{i}" for i in range(20)]
    for k in read_keys:
        driver.execute(SimpleStatement(f"INSERT INTO {KS3}.kv (k, v) VALUES (%s, 0)",
                                       consistency_level=ConsistencyLevel.ALL), (k,))
    victim = NODES[0]
    # The test nodes keep system tables out of the commit log (-Dcassandra.unsafesystem): flush
    # them, or the victim comes back without the keyspaces made since it started and answers
    # "does not exist" until it pulls the schema again, which no real node would do.
    nodetool(1, "flush", "system_schema")
    nodetool(1, "flush", "system")
    load = Load(gw, read_keys)
    load.start()
    try:
        time.sleep(3)
        t_kill = time.time()
        kill9(1)
        time.sleep(8)
        assert gw.ready(), "another node carries the control connection"
        assert "control: connection to 127.0.0.2:9042 lost; moving to" in gw.output()
        t_restart = time.time()
        # While the node is down nothing is sent to it; afterwards its handshakes count too.
        base = scrape(gw).get("cqlgate_node_requests_total", node=node_label(victim))
        back = {}

        def watch():            # the restart script returns well after the node is up
            while "t" not in back and not load.stop.is_set():
                if scrape(gw).get("cqlgate_node_requests_total",
                                  node=node_label(victim)) > base + 15:
                    back["t"] = time.time()
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        start_cluster()
        up_line = None

        def saw_up():
            nonlocal up_line
            for line in gw.output().splitlines():
                if f"cluster: {victim}:9042 is up" in line and log_time(line) > t_kill:
                    up_line = line
                    return True
            return False

        wait_for(saw_up, 60, "the UP event of the restarted node")
        t_up = log_time(up_line)
        wait_for(lambda: "t" in back, 30, "traffic to the restarted node")
        t_traffic = back["t"]
        time.sleep(2)
    finally:
        load.finish()
    reads_failed = [(t - t_kill, st, body) for t, st, body in load.reads if st != 200]
    writes_ok = [w for w in load.writes if w[1] == 201]
    writes_failed = [w for w in load.writes if w[1] != 201]
    for t, st, _, body in writes_failed:
        print(f"write failed {t - t_kill:.2f} s after the kill: {st} {body}")
    figures = {
        "reads_sent": len(load.reads), "reads_failed": len(reads_failed),
        "writes_sent": len(load.writes), "writes_failed": len(writes_failed),
        "restart_to_up_s": round(t_up - t_restart, 1),
        "up_to_traffic_s": round(max(0.0, t_traffic - t_up), 1),
    }
    print("kill test figures:", figures)
    for line in gw.output().splitlines():
        if log_time(line) > t_kill and ("127.0.0.2" in line or "control:" in line):
            print(line)
    for k, v in figures.items():
        record_property(k, v)
    assert len(load.reads) > 100 and len(load.writes) > 30
    assert reads_failed == [], reads_failed[:10]
    for _, st, _, body in writes_failed:
        assert st in (503, 504), (st, body)
        assert "description" in body, body
    assert figures["up_to_traffic_s"] < 5
    keys = [w[2] for w in writes_ok]
    stmt = driver.prepare(f"SELECT k FROM {KS3}.kv WHERE k = ?")
    stmt.consistency_level = ConsistencyLevel.QUORUM
    missing = [k for k in keys if driver.execute(stmt, (k,)).one() is None]
    assert missing == [], f"{len(missing)} acknowledged writes lost"


def test_whole_cluster_restart(gw):
    """Every node stops: not ready while none answers; every node starts again: cqlgate is ready
    again and answers, without a restart of its own."""
    r = requests.get(rows_url(gw, KS3, "kv", "r1"), timeout=10)
    assert r.status_code == 200
    stop_cluster()
    try:
        wait_for(lambda: not gw.ready(), 30, "readiness to turn false")
        r = requests.get(rows_url(gw, KS3, "kv", "r1"), timeout=10)
        assert r.status_code == 503, r.text
        time.sleep(2)
        assert not gw.ready()
    finally:
        start_cluster()
    t0 = time.time()
    wait_for(gw.ready, 60, "readiness after the cluster restart")
    print(f"ready again {time.time() - t0:.1f} s after the cluster answered")
    wait_for(lambda: requests.get(rows_url(gw, KS3, "kv", "r1"), timeout=10).status_code == 200,
             30, "a read after the cluster restart")
    assert all(node_pid(n) is not None for n in (1, 2, 3))
