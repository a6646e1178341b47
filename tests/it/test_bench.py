"""bench/: cqlload against the real Cassandra (seeding, every scenario, its failures), and small
`make bench` and `make bench-docs` runs end to end (bench/run.py and bench/docs.py with wrk
through the real cqlgate)."""

import calendar
import json
import os
import subprocess
import sys

import pytest

from conftest import BUILD, HOST, PASSWORD, ROOT, USER

CQLLOAD = os.path.join(BUILD, "bench", "cqlload")
KS = "cqlgate_bench_it"
KEYS, PARTS, ROWS = 60, 3, 40


def cqlload(*args, auth=True, keyspace=KS):
    cmd = [CQLLOAD, "--host", HOST, "--keyspace", keyspace, "--keys", str(KEYS),
           "--partitions", str(PARTS), "--rows-per-partition", str(ROWS),
           "--range-rows", "5", "--page-size", "25", "--json"]
    if auth:
        cmd += ["-u", USER, "-p", PASSWORD]
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=120)
    out = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, out, proc.stderr


@pytest.fixture(scope="module")
def seeded(driver):
    assert os.access(CQLLOAD, os.X_OK), f"{CQLLOAD} is not built (make)"
    driver.execute(f"DROP KEYSPACE IF EXISTS {KS}")
    driver.execute(f"CREATE KEYSPACE {KS} WITH replication = "
                   "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    driver.execute(f"CREATE TABLE {KS}.keyvalue (k text PRIMARY KEY, name text, email text, "
                   "city text, bio text, age int, visits bigint, score double, active boolean, "
                   "created timestamp, uid uuid, balance decimal, tags list<text>)")
    driver.execute(f"CREATE TABLE {KS}.series (p text, c int, ts timestamp, value double, "
                   "label text, payload text, PRIMARY KEY ((p), c))")
    for scenario, n in (("insert", KEYS), ("insert-series", PARTS * ROWS)):
        rc, out, err = cqlload("--scenario", scenario, "--sequential", "--requests", str(n))
        assert rc == 0, err
        assert out["requests"] == n and out["errors"] == 0
    yield driver
    driver.execute(f"DROP KEYSPACE IF EXISTS {KS}")


def test_seed_writes_the_rows_the_wrk_scripts_expect(seeded):
    rows = {r.k: r for r in seeded.execute(f"SELECT * FROM {KS}.keyvalue")}
    assert len(rows) == KEYS
    r = rows["k000042"]
    assert (r.name, r.email, r.city, r.age, r.visits, r.score, r.active) == \
        ("user 42", "user42@example.com", "Osaka", 18 + 42, 42 * 37, 42 / 8, False)
    assert str(r.uid) == "00000000-0000-4000-8000-00000000002a"
    assert str(r.balance) == "3325.98"          # 42 * 7919 cents
    assert r.tags == ["t2", "t0", "bench"]
    assert calendar.timegm(r.created.utctimetuple()) == 1700000000 + 42
    assert r.bio.endswith(" #42") and len(r.bio) > 300
    assert seeded.execute(f"SELECT count(*) FROM {KS}.series").one()[0] == PARTS * ROWS
    s = seeded.execute(f"SELECT * FROM {KS}.series WHERE p = 'p0002' AND c = 7").one()
    assert (s.value, s.label, s.payload) == (1.75, "west", "reading 7 of east, nominal")


@pytest.mark.parametrize("scenario,rows", [("get", 1), ("range", 5), ("page", 25)])
def test_reads_check_their_row_counts(seeded, scenario, rows):
    rc, out, err = cqlload("--scenario", scenario, "--requests", "40", "--concurrency", "8",
                           "--connections", "3")
    assert rc == 0, err
    assert out["requests"] == 40 and out["errors"] == 0
    assert out["rows"] == 40 * rows
    assert 0 < out["p50_us"] <= out["p90_us"] <= out["p99_us"] <= out["max_us"]
    assert out["rps"] > 0 and out["connections"] == 3 and out["concurrency"] == 8


def test_timed_run_counts_only_the_window(seeded):
    rc, out, err = cqlload("--scenario", "insert", "--seconds", "1", "--warmup", "0.3")
    assert rc == 0, err
    assert 0.9 < out["seconds"] < 3 and out["requests"] > 0 and out["errors"] == 0
    assert out["cpu_us"] > 0


def test_statements_are_what_rest_v2_prepares(seeded):
    texts = {}
    for s in ("get", "insert", "range", "page"):
        proc = subprocess.run([CQLLOAD, "--keyspace", KS, "--scenario", s, "--print-cql"],
                              capture_output=True, text=True, check=True)
        texts[s] = proc.stdout.strip()
    assert texts["get"] == f'SELECT * FROM "{KS}"."keyvalue" WHERE "k" = ?'
    assert texts["range"] == f'SELECT * FROM "{KS}"."series" WHERE "p" = ? AND "c" >= ? ' \
        'AND "c" < ?'
    assert texts["page"] == f'SELECT * FROM "{KS}"."series" WHERE "p" = ?'
    assert texts["insert"].startswith(f'INSERT INTO "{KS}"."keyvalue" ("k", "name", "email", ')


def test_missing_rows_fail_the_run(seeded):
    # Partitions past the seeded ones are empty: the range reads find no rows.
    rc, out, err = cqlload("--scenario", "range", "--requests", "30", "--partitions", "1000")
    assert rc == 2
    assert out["errors"] > 0
    assert "rows where 5 were expected" in err


def test_unknown_keyspace_fails_with_the_server_error(seeded):
    rc, out, err = cqlload("--scenario", "get", "--requests", "3", keyspace="cqlgate_bench_nope")
    assert rc == 2 and out["errors"] == 3 and out["requests"] == 3
    assert "INVALID" in err and "cqlgate_bench_nope" in err


def test_connection_failures_exit_1():
    rc, out, err = cqlload("--scenario", "get", "--requests", "3", auth=False)
    assert rc == 1 and out is None
    assert "authentication" in err
    rc, out, err = cqlload("--scenario", "get", "--requests", "3", "--port", "1")
    assert rc == 1 and out is None
    assert "connection refused" in err


@pytest.mark.parametrize("args", [
    [],                                                 # no scenario
    ["--scenario", "nope"],
    ["--scenario", "insert", "--sequential"],           # seeding needs --requests
    ["--scenario", "get", "--concurrency", "0"],
    ["--scenario", "get", "--seconds", "-1"],
    ["--scenario", "range", "--range-rows", "3000"],    # more than a partition holds
    ["--scenario", "get", "--protocol", "3"],
    ["--scenario", "get", "extra"],
])
def test_usage_errors_exit_1(args):
    proc = subprocess.run([CQLLOAD] + args, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert proc.stderr.startswith("usage: cqlload")


def test_make_bench_end_to_end(tmp_path, driver):
    """bench/run.py as `make bench` runs it, shrunk: every scenario through cqlgate and
    directly, the idle connections, the same-CQL check, the report, and the keyspace dropped."""
    env = dict(os.environ, CQLGATE_BUILD=os.path.abspath(BUILD), BENCH_KEYSPACE=KS + "_run",
               BENCH_SECONDS="1", BENCH_WARMUP="0", BENCH_CONNECTIONS="4", BENCH_STARTS="2",
               BENCH_KEYS="200", BENCH_PARTITIONS="2", BENCH_ROWS_PER_PARTITION="50",
               BENCH_RANGE_ROWS="10", BENCH_PAGE_SIZE="30", BENCH_IDLE_CONNECTIONS="200",
               BENCH_RESULTS=str(tmp_path), BENCH_NOTE="A shrunk run for the tests.")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run.py")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[2] == "**A shrunk run for the tests.**"
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].read_text() == proc.stdout.rstrip("\n") + "\n"
    report = proc.stdout
    for title in ("1. GET row by primary key", "2. POST row", "3. where on a clustering range",
                  "4. one page of 30 rows"):
        assert f"| {title} | cqlgate (wrk) |" in report
    assert report.count("| | direct (cqlload) |") == 4
    assert report.count("| | cqlgate/direct |") == 4
    assert "Same CQL: Cassandra holds one prepared statement per scenario" in report
    assert "with 200 idle keep-alive connections" in report
    assert "median of 2" in report
    assert "Failures" not in report
    assert driver.execute("SELECT keyspace_name FROM system_schema.keyspaces WHERE "
                          "keyspace_name = %s", [KS + "_run"]).one() is None


def test_make_bench_fails_on_an_unseeded_keyspace(tmp_path, driver):
    env = dict(os.environ, CQLGATE_BUILD=os.path.abspath(BUILD), BENCH_KEYSPACE=KS + "_bare",
               BENCH_SEED="0", BENCH_SECONDS="1", BENCH_WARMUP="0", BENCH_STARTS="1",
               BENCH_SCENARIOS="get", BENCH_IDLE_CONNECTIONS="0", BENCH_RESULTS=str(tmp_path))
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run.py")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert "is the keyspace seeded?" in proc.stdout
    assert "**Failures:**" in proc.stdout
    assert driver.execute("SELECT keyspace_name FROM system_schema.keyspaces WHERE "
                          "keyspace_name = %s", [KS + "_bare"]).one() is None


@pytest.mark.parametrize("name,value,message", [
    ("BENCH_SECONDS", "ten", "BENCH_SECONDS='ten': not an integer value"),
    ("BENCH_SCENARIOS", "get,nope", "unknown scenario 'nope' in BENCH_SCENARIOS"),
])
def test_make_bench_rejects_bad_settings_at_once(tmp_path, name, value, message):
    env = dict(os.environ, CQLGATE_BUILD=os.path.abspath(BUILD), BENCH_RESULTS=str(tmp_path))
    env[name] = value
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run.py")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"bench: {message}"
    assert list(tmp_path.iterdir()) == []


def run_docs_bench(tmp_path, **settings):
    env = dict(os.environ, CQLGATE_BUILD=os.path.abspath(BUILD), BENCH_RESULTS=str(tmp_path),
               BENCH_SECONDS="1", BENCH_WARMUP="0", BENCH_CONNECTIONS="4")
    env.update(settings)
    return subprocess.run([sys.executable, os.path.join(ROOT, "bench", "docs.py")], env=env,
                          capture_output=True, text=True, timeout=300)


def test_make_bench_docs_end_to_end(tmp_path, driver):
    """bench/docs.py shrunk: 300 documents loaded in batches of 40, each search checked, loaded
    under wrk and profiled, the report written and the namespace dropped."""
    ns = "cqlgate_docs_bench_it"
    proc = run_docs_bench(tmp_path, BENCH_DOCS="300", BENCH_DOCS_BATCH="40",
                          BENCH_DOCS_NAMESPACE=ns)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = proc.stdout
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].name.endswith("-docs.md")
    assert files[0].read_text() == report.rstrip("\n") + "\n"
    assert "- collection: 300 documents" in report
    assert "40 a request, 2 at once, 0 requests sent again" in report
    rows = [line for line in report.splitlines() if line.endswith(" µs |")]
    assert len(rows) == 3 and all(line.split("|")[7].strip() == "0" for line in rows)
    assert "AND dbl_value >= ? AND dbl_value < ? ALLOW FILTERING" in report
    assert "Failures" not in report
    assert driver.execute("SELECT keyspace_name FROM system_schema.keyspaces WHERE "
                          "keyspace_name = %s", [ns]).one() is None


def test_make_bench_docs_fails_without_its_collection(tmp_path, driver):
    ns = "cqlgate_docs_bench_bare"
    proc = run_docs_bench(tmp_path, BENCH_DOCS_SEED="0", BENCH_DOCS_SEARCHES="eq",
                          BENCH_DOCS_NAMESPACE=ns)
    assert proc.returncode == 1
    assert f"search {{'name': {{'$eq': 'user-" in proc.stdout and ": 404 " in proc.stdout
    assert "Failures:" in proc.stdout


def test_make_bench_docs_rejects_an_unknown_search(tmp_path):
    proc = run_docs_bench(tmp_path, BENCH_DOCS_SEARCHES="eq,nope")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "bench: unknown search 'nope' in BENCH_DOCS_SEARCHES"
    assert list(tmp_path.iterdir()) == []
