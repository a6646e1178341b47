#!/usr/bin/env python3
"""bench/run.py: `make bench`, cqlgate under wrk beside cqlload on the native protocol.

One run, in this order:
  1. uses the Cassandra listening on 127.0.0.1:9042, or starts one with tests/cassandra/start;
  2. creates keyspace cqlgate_bench and seeds it with cqlload: `keyvalue`, BENCH_KEYS rows of
     about 0.5 KB (a text key and a dozen mixed columns), and `series`, BENCH_PARTITIONS
     partitions of BENCH_ROWS_PER_PARTITION rows under an int clustering column;
  3. starts build/cqlgate BENCH_STARTS times and times each start to its "schema loaded; ready"
     log line, keeping the last one, whose idle RSS it reads;
  4. per scenario, after one checked request, runs wrk (bench/wrk/*.lua) against cqlgate, then
     cqlload on the same statement at the same concurrency, each after BENCH_WARMUP seconds of
     uncounted load: requests/s, p50/p90/p99/max, cqlgate's CPU per request (utime + stime from
     /proc/<pid>/stat over the requests wrk saw answered) and its peak RSS (VmHWM, reset through
     /proc/<pid>/clear_refs before each scenario);
  5. opens BENCH_IDLE_CONNECTIONS idle keep-alive connections (bench/idle_conns.py) and reads
     cqlgate's RSS with them open;
  6. checks that Cassandra holds one prepared statement per scenario (cqlgate and cqlload sent
     the same CQL text), stops cqlgate (it must exit 0) and drops the keyspace (BENCH_KEEP=1
     keeps it);
  7. prints a markdown report and writes it to bench/results/<date>-<host>.md.

Exit status: 0, or 1 when a step failed or any request failed (the report is still written).
Settings come from the environment; see SETTINGS below and bench/README.md.
"""

import json
import os
import platform
import resource
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.join(ROOT, os.environ.get("CQLGATE_BUILD", "build"))
CQLGATE = os.path.join(BUILD, "cqlgate")
CQLC = os.path.join(BUILD, "tests", "it", "cqlc")
CQLLOAD = os.path.join(BUILD, "bench", "cqlload")
HOST = "127.0.0.1"
READY_LINE = "control: schema loaded; ready"

# name: (default, meaning); each is read from the environment variable of the same name.
SETTINGS = {
    "BENCH_SECONDS": (10, "measured seconds of each wrk and each cqlload run"),
    "BENCH_WARMUP": (1, "uncounted seconds of load before each measured run"),
    "BENCH_CONNECTIONS": (64, "requests in flight: wrk connections, cqlload concurrency"),
    "BENCH_WORKERS": (2, "cqlgate --workers, and so cqlload's CQL connections"),
    "BENCH_WRK_THREADS": (2, "wrk -t"),
    "BENCH_AUTH": ("none", "cqlgate --auth: none, or table (wrk sends a token from /v1/auth)"),
    "BENCH_IDLE_CONNECTIONS": (10000, "idle keep-alive connections for the RSS measure"),
    "BENCH_STARTS": (3, "cqlgate starts timed to readiness (the median is reported)"),
    "BENCH_SCENARIOS": ("get,post,where,page", "which scenarios to run"),
    "BENCH_KEYS": (100000, "keyvalue rows"),
    "BENCH_PARTITIONS": (50, "series partitions"),
    "BENCH_ROWS_PER_PARTITION": (2000, "series rows per partition"),
    "BENCH_RANGE_ROWS": (20, "rows of the where clustering range"),
    "BENCH_PAGE_SIZE": (1000, "rows of the large page"),
    "BENCH_SEED": (1, "0 skips seeding (the keyspace must be there, see BENCH_KEEP)"),
    "BENCH_KEEP": (0, "1 keeps keyspace cqlgate_bench after the run"),
    "BENCH_KEYSPACE": ("cqlgate_bench", "keyspace of the bench data"),
    "BENCH_CQL_USER": ("cassandra", "Cassandra login of cqlgate, cqlc and cqlload"),
    "BENCH_CQL_PASSWORD": ("cassandra", "its password"),
    "BENCH_RESULTS": ("bench/results", "where the report is written"),
    "BENCH_NOTE": ("", "a line the report opens with, such as how quiet the machine was"),
}


def setting(name):
    default = SETTINGS[name][0]
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return type(default)(value)
    except ValueError:
        raise BenchError(f"{name}={value!r}: not a{'n integer' if type(default) is int else ''} "
                         "value") from None


# scenario: (title in the report, wrk script in bench/wrk/, cqlload --scenario)
SCENARIOS = {
    "get": ("1. GET row by primary key", "get.lua", "get"),
    "post": ("2. POST row", "post.lua", "insert"),
    "where": ("3. where on a clustering range", "where.lua", "range"),
    "page": ("4. one page of {page} rows", "page.lua", "page"),
}


class BenchError(Exception):
    pass


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# ---- small helpers ----------------------------------------------------------------------------

def port_open(host, port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def proc_status(pid, key):
    """A /proc/<pid>/status field in KiB (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise BenchError(f"no {key} in /proc/{pid}/status")


def proc_cpu_ticks(pid):
    """utime + stime of PID in clock ticks (/proc/<pid>/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def reset_hwm(pid):
    """Resets VmHWM to the current RSS (clear_refs value 5, Linux 4.0+); False when refused."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def cql_args():
    return ["--host", HOST, "-u", setting("BENCH_CQL_USER"), "-p", setting("BENCH_CQL_PASSWORD")]


def cqlc(*statements, simple=True):
    cmd = [CQLC] + cql_args() + (["--simple"] if simple else [])
    for st in statements:
        cmd += ["-e", st]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise BenchError(f"cqlc failed: {proc.stdout}{proc.stderr}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def cqlload_args(scenario):
    return [CQLLOAD] + cql_args() + [
        "--scenario", scenario, "--keyspace", setting("BENCH_KEYSPACE"),
        "--keys", str(setting("BENCH_KEYS")), "--partitions", str(setting("BENCH_PARTITIONS")),
        "--rows-per-partition", str(setting("BENCH_ROWS_PER_PARTITION")),
        "--range-rows", str(setting("BENCH_RANGE_ROWS")),
        "--page-size", str(setting("BENCH_PAGE_SIZE")),
    ]


def cqlload(scenario, *extra):
    cmd = cqlload_args(scenario) + ["--json"] + list(extra)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if proc.returncode not in (0, 2) or not proc.stdout.strip():
        raise BenchError(f"cqlload {scenario} exited {proc.returncode}: {proc.stderr.strip()}")
    res = json.loads(proc.stdout)
    res["stderr"] = proc.stderr.strip()
    return res


def cqlload_cql(scenario):
    out = subprocess.run(cqlload_args(scenario) + ["--print-cql"], capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


# ---- Cassandra and the data -------------------------------------------------------------------

def ensure_cassandra():
    if port_open(HOST, 9042):
        log("using the Cassandra already listening on 127.0.0.1:9042")
        return
    log("nothing listens on 127.0.0.1:9042: starting the local Cassandra (tests/cassandra/start)")
    subprocess.run([os.path.join(ROOT, "tests", "cassandra", "start")], check=True)


def seed():
    ks = setting("BENCH_KEYSPACE")
    cqlc(f"CREATE KEYSPACE IF NOT EXISTS \"{ks}\" WITH replication = "
         "{'class': 'SimpleStrategy', 'replication_factor': 1}",
         f"CREATE TABLE IF NOT EXISTS \"{ks}\".keyvalue (k text PRIMARY KEY, name text, "
         "email text, city text, bio text, age int, visits bigint, score double, "
         "active boolean, created timestamp, uid uuid, balance decimal, tags list<text>)",
         f"CREATE TABLE IF NOT EXISTS \"{ks}\".series (p text, c int, ts timestamp, "
         "value double, label text, payload text, PRIMARY KEY ((p), c))")
    if not setting("BENCH_SEED"):
        return []
    notes = []
    for table, scenario, count in (("keyvalue", "insert", setting("BENCH_KEYS")),
                                   ("series", "insert-series", setting("BENCH_PARTITIONS")
                                    * setting("BENCH_ROWS_PER_PARTITION"))):
        log(f"seeding {table}: {count} rows with cqlload --scenario {scenario}")
        res = cqlload(scenario, "--sequential", "--requests", str(count), "--concurrency", "256")
        if res["errors"]:
            raise BenchError(f"seeding failed: {res['errors']} errors: {res['stderr']}")
        notes.append(f"{table} seeded in {res['seconds']:.1f} s ({res['rps']:.0f} rows/s)")
    return notes


# ---- cqlgate ----------------------------------------------------------------------------------

class Gateway:
    """build/cqlgate on a free loopback port, logging to a temporary file, stopped by its PID."""

    def __init__(self, max_connections):
        self.log = tempfile.NamedTemporaryFile(prefix="cqlgate-bench-", suffix=".log",
                                               delete=False)
        self.port = free_port()
        cmd = [CQLGATE, "--listen", f"{HOST}:{self.port}",
               "--workers", str(setting("BENCH_WORKERS")),
               "--auth", setting("BENCH_AUTH"),
               "--max-connections", str(max_connections),
               "--username", setting("BENCH_CQL_USER"),
               "--password", setting("BENCH_CQL_PASSWORD")]
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log,
                                     preexec_fn=raise_nofile)
        self.pid = self.proc.pid

    def output(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def wait_ready(self, timeout=30):
        """Seconds from the start to the ready log line, read in a tight loop."""
        deadline = self.t0 + timeout
        with open(self.log.name, errors="replace") as f:
            seen = ""
            while time.monotonic() < deadline:
                seen += f.read()
                if READY_LINE in seen:
                    return time.monotonic() - self.t0
                if self.proc.poll() is not None:
                    raise BenchError("cqlgate exited before it was ready:\n" + self.output())
                time.sleep(0.001)
        raise BenchError("cqlgate was not ready within 30 s:\n" + self.output())

    def url(self, path):
        return f"http://{HOST}:{self.port}{path}"

    def stop(self):
        """SIGTERM; returns the exit status (cqlgate exits 0 after a clean drain)."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode

    def remove_log(self):
        os.unlink(self.log.name)


def raise_nofile():
    """In the child: the soft limit on open files up to the hard one, for the idle connections."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def http(gw, method, path, body=None, headers=None):
    req = urllib.request.Request(gw.url(path), data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def get_token(gw):
    body = json.dumps({"username": setting("BENCH_CQL_USER"),
                       "password": setting("BENCH_CQL_PASSWORD")}).encode()
    status, out = http(gw, "POST", "/v1/auth", body, {"Content-Type": "application/json"})
    if status != 201:
        raise BenchError(f"POST /v1/auth answered {status}: {out[:200]!r}")
    return json.loads(out)["authToken"]


def check_request(gw, name, token):
    """One request of read scenario NAME through cqlgate, its row count checked, before the
    load. Writes are checked by wrk's count of non-2xx answers and by same_cql()."""
    ks = setting("BENCH_KEYSPACE")
    headers = {"X-Cassandra-Token": token} if token else {}
    if name == "post":
        return
    if name == "get":
        status, out = http(gw, "GET", f"/v2/keyspaces/{ks}/keyvalue/k000007", headers=headers)
        want = (200, 1)
    elif name == "where":
        n = setting("BENCH_RANGE_ROWS")
        where = json.dumps({"p": {"$eq": "p0001"}, "c": {"$gte": 0, "$lt": n}})
        status, out = http(gw, "GET", f"/v2/keyspaces/{ks}/series?where="
                           + urllib.parse.quote(where), headers=headers)
        want = (200, n)
    else:
        n = min(setting("BENCH_PAGE_SIZE"), setting("BENCH_ROWS_PER_PARTITION"))
        status, out = http(gw, "GET", f"/v2/keyspaces/{ks}/series/p0001?page-size="
                           f"{setting('BENCH_PAGE_SIZE')}", headers=headers)
        want = (200, n)
    if status != want[0] or json.loads(out)["count"] != want[1]:
        raise BenchError(f"{name}: cqlgate answered {status} {out[:300]!r}, expected "
                         f"{want[0]} with {want[1]} rows (is the keyspace seeded?)")


def wrk(gw, script, seconds, token):
    env = dict(os.environ)
    for name in ("BENCH_KEYSPACE", "BENCH_KEYS", "BENCH_PARTITIONS", "BENCH_ROWS_PER_PARTITION",
                 "BENCH_RANGE_ROWS", "BENCH_PAGE_SIZE"):
        env[name] = str(setting(name))
    env["BENCH_TOKEN"] = token or ""
    conns = setting("BENCH_CONNECTIONS")
    cmd = ["wrk", "-t", str(min(setting("BENCH_WRK_THREADS"), conns)), "-c", str(conns),
           "-d", f"{seconds}s", "--timeout", "10s",
           "-s", os.path.join(ROOT, "bench", "wrk", script), gw.url("")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=seconds + 120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for line in proc.stdout.splitlines():
        if line.startswith("wrk-json: "):
            res = json.loads(line[len("wrk-json: "):])
            res["errors_total"] = sum(res["errors"].values())
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            res["cpu_us"] = cpu * 1e6 / max(res["requests"], 1)
            return res
    raise BenchError(f"wrk printed no figures (exit {proc.returncode}):\n{proc.stdout}"
                     f"{proc.stderr}")


# ---- the run ----------------------------------------------------------------------------------

def run_scenario(gw, name, token):
    title, script, load = SCENARIOS[name]
    title = title.format(page=setting("BENCH_PAGE_SIZE"))
    seconds = setting("BENCH_SECONDS")
    warmup = setting("BENCH_WARMUP")
    log(f"{title}: wrk against cqlgate, then cqlload --scenario {load}, {seconds} s each")
    check_request(gw, name, token)
    hwm_reset = reset_hwm(gw.pid)
    if warmup > 0:
        wrk(gw, script, warmup, token)
    ticks0 = proc_cpu_ticks(gw.pid)
    via = wrk(gw, script, seconds, token)
    ticks1 = proc_cpu_ticks(gw.pid)
    via["gw_cpu_us"] = ((ticks1 - ticks0) * 1e6 / os.sysconf("SC_CLK_TCK")
                        / max(via["requests"], 1))
    via["hwm_kib"] = proc_status(gw.pid, "VmHWM")
    direct = cqlload(load, "--seconds", str(seconds), "--warmup", str(warmup),
                     "--connections", str(setting("BENCH_WORKERS")),
                     "--concurrency", str(setting("BENCH_CONNECTIONS")))
    if direct["stderr"]:
        log(f"cqlload {load}: {direct['stderr']}")
    return {"name": name, "title": title, "via": via, "direct": direct, "hwm_reset": hwm_reset}


def idle_connections(gw):
    n = setting("BENCH_IDLE_CONNECTIONS")
    before = proc_status(gw.pid, "VmRSS")
    client = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench", "idle_conns.py"),
                               HOST, str(gw.port), str(n)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = client.stdout.readline().strip()
        if not line.startswith("open "):
            raise BenchError(f"idle connections: {line or 'the client exited'}")
        time.sleep(0.5)
        with_conns = proc_status(gw.pid, "VmRSS")
    finally:
        client.stdin.close()
        try:
            client.wait(timeout=60)
        except subprocess.TimeoutExpired:
            client.kill()
            client.wait()
    return {"n": n, "before_kib": before, "with_kib": with_conns}


def same_cql(names):
    """The prepared statements on the bench keyspace that are not one of cqlload's texts."""
    ks = setting("BENCH_KEYSPACE")
    # The seeding's two INSERTs count too (the keyvalue one is scenario 2's statement).
    expected = ({cqlload_cql(SCENARIOS[n][2]) for n in names}
                | {cqlload_cql("insert"), cqlload_cql("insert-series")})
    rows = cqlc("SELECT query_string FROM system.prepared_statements")
    seen = {r["query_string"] for r in rows if f'"{ks}".' in r.get("query_string", "")}
    return sorted(seen - expected)


def finish(gw, keyspace, failures):
    """Stops GW (it must exit 0; its log is kept otherwise) and, unless BENCH_KEEP, drops
    KEYSPACE; what went wrong is added to FAILURES."""
    if gw is not None:
        rc = gw.stop()
        if rc != 0:
            failures.append(f"cqlgate exited {rc} on SIGTERM (log kept: {gw.log.name})")
        else:
            gw.remove_log()
    if not setting("BENCH_KEEP"):
        try:
            cqlc(f"DROP KEYSPACE IF EXISTS \"{keyspace}\"")
        except BenchError as e:
            failures.append(str(e).splitlines()[0])


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu or platform.machine()}, {os.cpu_count()} CPUs, Linux {platform.release()}"


def commit():
    def git(*args):
        return subprocess.run(["git", "-C", ROOT] + list(args), capture_output=True,
                              text=True).stdout.strip()
    sha = git("rev-parse", "--short=12", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return sha + (" (with uncommitted changes)" if dirty else "")


def fmt_ms(us):
    return f"{us / 1000:.2f}"


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "-"


def report(ctx, results, idle, starts, stray, failures):
    s = setting
    lines = [
        f"# cqlgate bench, {ctx['date']} on {ctx['host']}",
        "",
    ]
    if s("BENCH_NOTE"):
        lines += [f"**{s('BENCH_NOTE')}**", ""]
    lines += [
        f"- machine: {machine()}; load average at the start {ctx['load']}",
        f"- commit: {commit()}",
        f"- Cassandra {ctx['cassandra']} on 127.0.0.1:9042, one node, started by "
        "tests/cassandra/start (it runs on the same machine)",
        f"- cqlgate: `--workers {s('BENCH_WORKERS')} --auth {s('BENCH_AUTH')}`"
        + (" (wrk sends a token from POST /v1/auth)" if s("BENCH_AUTH") == "table" else
           " (no token checks)") + ", protocol negotiated (v5), no compression",
        f"- load: {s('BENCH_CONNECTIONS')} requests in flight on each side: wrk "
        f"`-t{min(s('BENCH_WRK_THREADS'), s('BENCH_CONNECTIONS'))} "
        f"-c{s('BENCH_CONNECTIONS')}`, cqlload `--concurrency {s('BENCH_CONNECTIONS')} "
        f"--connections {s('BENCH_WORKERS')}` (as many CQL connections as cqlgate's workers "
        f"hold); {s('BENCH_SECONDS')} s measured after {s('BENCH_WARMUP')} s of warm-up, "
        "wrk then cqlload for each scenario",
        f"- data: keyspace {s('BENCH_KEYSPACE')}, `keyvalue` {s('BENCH_KEYS')} rows of about "
        f"0.5 KB (text key, 12 columns: text, int, bigint, double, boolean, timestamp, uuid, "
        f"decimal, list<text>), `series` {s('BENCH_PARTITIONS')} partitions x "
        f"{s('BENCH_ROWS_PER_PARTITION')} rows (int clustering column); "
        + ("; ".join(ctx["seed"]) if ctx["seed"] else "not reseeded"),
        f"- command: `{ctx['command']}`",
        "",
        "| scenario | client | req/s | p50 ms | p90 ms | p99 ms | max ms | errors "
        "| client CPU us/req | cqlgate CPU us/req | cqlgate peak RSS MiB |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        v, d = r["via"], r["direct"]
        hwm = f"{v['hwm_kib'] / 1024:.1f}" + ("" if r["hwm_reset"] else " (process peak)")
        lines.append(f"| {r['title']} | cqlgate (wrk) | {v['rps']:.0f} | {fmt_ms(v['p50_us'])} "
                     f"| {fmt_ms(v['p90_us'])} | {fmt_ms(v['p99_us'])} | {fmt_ms(v['max_us'])} "
                     f"| {v['errors_total']} | {v['cpu_us']:.0f} | {v['gw_cpu_us']:.0f} "
                     f"| {hwm} |")
        lines.append(f"| | direct (cqlload) | {d['rps']:.0f} | {fmt_ms(d['p50_us'])} "
                     f"| {fmt_ms(d['p90_us'])} | {fmt_ms(d['p99_us'])} | {fmt_ms(d['max_us'])} "
                     f"| {d['errors']} | {d['cpu_us']:.0f} | | |")
        lines.append(f"| | cqlgate/direct | {ratio(v['rps'], d['rps'])} "
                     f"| {ratio(v['p50_us'], d['p50_us'])} | {ratio(v['p90_us'], d['p90_us'])} "
                     f"| {ratio(v['p99_us'], d['p99_us'])} | {ratio(v['max_us'], d['max_us'])} "
                     "| | | | |")
    lines += ["", "| measure | value |", "|---|--:|"]
    if starts:
        lines.append(f"| start to ready, Cassandra up (median of {len(starts)}; log line "
                     f"\"{READY_LINE}\") | {statistics.median(starts) * 1000:.0f} ms |")
    if idle:
        per = (idle["with_kib"] - idle["before_kib"]) / idle["n"]
        lines.append(f"| cqlgate RSS idle, after start | {ctx['idle_rss'] / 1024:.1f} MiB |")
        lines.append(f"| cqlgate RSS with {idle['n']} idle keep-alive connections | "
                     f"{idle['with_kib'] / 1024:.1f} MiB ({per:.1f} KiB per connection over "
                     f"the {idle['before_kib'] / 1024:.1f} MiB before) |")
    lines += [
        "",
        "Latency is per request, from send to the whole answer: wrk's own percentiles for "
        "cqlgate, cqlload's log-linear histogram (under 1 % bucket width) for the direct path. "
        "CPU per request is cqlgate's utime + stime over the measured wrk run divided by the "
        "requests wrk saw answered; peak RSS is VmHWM over the scenario. Client CPU is the load "
        "generator's own (wrk's over its run, cqlload's over the measured window): on a small "
        "machine the clients, cqlgate and Cassandra share the cores, and wrk's larger share "
        "weighs on the cqlgate figures.",
    ]
    if stray is not None:
        lines.append("")
        lines.append("Same CQL: " + ("Cassandra holds one prepared statement per scenario, so "
                                     "cqlgate and cqlload sent the same text." if not stray else
                                     "statements prepared on the keyspace that cqlload does not "
                                     "send: " + "; ".join(f"`{t}`" for t in stray)))
    if failures:
        lines += ["", "**Failures:**", ""] + [f"- {f}" for f in failures]
    return "\n".join(lines) + "\n"


def main():
    for name in SETTINGS:
        setting(name)                   # a malformed value fails here, before any work
    for path in (CQLGATE, CQLC, CQLLOAD):
        if not os.access(path, os.X_OK):
            raise BenchError(f"{path} is not built (make)")
    if subprocess.run(["sh", "-c", "command -v wrk"], capture_output=True).returncode != 0:
        raise BenchError("wrk is not installed (make deps)")
    names = [n.strip() for n in setting("BENCH_SCENARIOS").split(",") if n.strip()]
    for n in names:
        if n not in SCENARIOS:
            raise BenchError(f"unknown scenario {n!r} in BENCH_SCENARIOS")
    overrides = " ".join(f"{k}={shlex.quote(os.environ[k])}" for k in SETTINGS
                         if os.environ.get(k))
    ctx = {
        "date": time.strftime("%Y-%m-%d"),
        "host": socket.gethostname().split(".")[0],
        "load": " ".join(open("/proc/loadavg").read().split()[:3]),
        "command": (overrides + " " if overrides else "") + "make bench",
        "seed": [],
    }
    ensure_cassandra()
    ctx["cassandra"] = cqlc("SELECT release_version FROM system.local")[0]["release_version"]
    failures = []
    results, idle, starts, stray = [], None, [], None
    gw = None
    try:
        ctx["seed"] = seed()
        max_conns = setting("BENCH_IDLE_CONNECTIONS") + 1000
        for i in range(max(setting("BENCH_STARTS"), 1)):
            gw = Gateway(max_conns)
            starts.append(gw.wait_ready())
            if i + 1 < setting("BENCH_STARTS"):
                if gw.stop() != 0:
                    raise BenchError("cqlgate did not stop cleanly:\n" + gw.output())
                gw.remove_log()
                gw = None
        log(f"cqlgate ready in {statistics.median(starts) * 1000:.0f} ms (median of "
            f"{len(starts)}), pid {gw.pid}, port {gw.port}")
        time.sleep(0.5)
        ctx["idle_rss"] = proc_status(gw.pid, "VmRSS")
        token = get_token(gw) if setting("BENCH_AUTH") == "table" else None
        for n in names:
            r = run_scenario(gw, n, token)
            results.append(r)
            if r["via"]["errors_total"]:
                failures.append(f"{r['title']}: {r['via']['errors_total']} failed requests "
                                f"through cqlgate ({r['via']['errors']})")
            if r["direct"]["errors"]:
                failures.append(f"{r['title']}: {r['direct']['errors']} failed requests from "
                                f"cqlload ({r['direct']['stderr']})")
        if setting("BENCH_IDLE_CONNECTIONS") > 0:
            log(f"opening {setting('BENCH_IDLE_CONNECTIONS')} idle keep-alive connections")
            idle = idle_connections(gw)
        stray = same_cql(names)
        if stray:
            failures.append("cqlgate and cqlload prepared different statements")
    except BenchError as e:
        failures.append(str(e).splitlines()[0])
        log(str(e))
    finally:
        finish(gw, setting("BENCH_KEYSPACE"), failures)
    text = report(ctx, results, idle, starts, stray, failures)
    print(text)
    out_dir = os.path.join(ROOT, setting("BENCH_RESULTS"))
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, f"{ctx['date']}-{ctx['host']}.md")
    with open(out, "w") as f:
        f.write(text)
    log(f"written to {os.path.relpath(out, ROOT) if out.startswith(ROOT + os.sep) else out}")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BenchError, subprocess.CalledProcessError) as e:
        log(str(e))
        sys.exit(1)
