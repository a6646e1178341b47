#!/usr/bin/env python3
"""bench/docs.py: `make bench-docs`, Document API searches on a large collection under wrk.

One run, in this order:
  1. uses the Cassandra listening on 127.0.0.1:9042, or starts one with tests/cassandra/start;
  2. starts build/cqlgate (--auth none) and, unless BENCH_DOCS_SEED=0, creates namespace
     BENCH_DOCS_NAMESPACE with collection `people` and loads BENCH_DOCS documents of about 0.5 KB
     (15 leaves, depth 3) through the batch write, BENCH_DOCS_BATCH documents a request and
     BENCH_DOCS_LOADERS requests at once, so the node is never flooded; the document id is its
     `name`, so a batch that fails is sent again and writes the same documents;
  3. per search of BENCH_DOCS_SEARCHES: one request checked against the documents expected, one
     with profile=true whose statements go into the report, BENCH_WARMUP seconds of uncounted
     load, then BENCH_SECONDS of wrk (bench/wrk/docs.lua) with BENCH_CONNECTIONS connections:
     requests/s, p50/p90/p99/max and cqlgate's CPU per request;
  4. stops cqlgate (it must exit 0), drops the namespace unless BENCH_KEEP=1, and prints a
     markdown report, also written to bench/results/<date>-<host>-docs.md.

Exit status: 0, or 1 when a step failed or any request failed (the report is still written).
"""

import http.client
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as b                                     # noqa: E402  (bench/run.py's helpers)

b.SETTINGS.update({
    "BENCH_CONNECTIONS": (16, "wrk connections"),
    "BENCH_DOCS": (100000, "documents in the collection"),
    "BENCH_DOCS_BATCH": (100, "documents per batch-write request while loading"),
    "BENCH_DOCS_LOADERS": (2, "batch-write requests in flight while loading"),
    "BENCH_DOCS_NAMESPACE": ("cqlgate_docs_bench", "namespace of the collection"),
    "BENCH_DOCS_SEED": (1, "0 skips loading (the collection must be there, see BENCH_KEEP)"),
    "BENCH_DOCS_SEARCHES": ("eq,city,range", "which searches to run"),
})
setting = b.setting
COLL = "people"
CITIES = 50

# name: (title, where for document-set size N and a random generator R, page-size or None)
SEARCHES = {
    "eq": ('`$eq` on a unique field, 1 match: `{"name":{"$eq":"user-000042"}}`',
           lambda n, r: {"name": {"$eq": user(r.randrange(n))}}, None),
    "city": ('`$eq` on a shared field, first page of 20 of ~2% of the documents: '
             '`{"city":{"$eq":"city-17"}}`',
             lambda n, r: {"city": {"$eq": f"city-{r.randrange(CITIES):02d}"}}, 20),
    "range": ('range on a number, first page of 20 of ~5% of the documents: '
              '`{"age":{"$gte":30,"$lt":35}}`',
              lambda n, r: (lambda a: {"age": {"$gte": a, "$lt": a + 5}})(r.randrange(95)), 20),
}


def user(i):
    return f"user-{i:06d}"


def document(i):
    """Document I: 15 leaves, depth 3, about 0.5 KB of JSON, the same on every run."""
    r = random.Random(i)
    d = {
        "name": user(i),
        "age": r.randrange(100),
        "city": f"city-{r.randrange(CITIES):02d}",
        "active": r.random() < 0.5,
        "score": round(r.uniform(0, 1000), 2),
        "address": {"street": f"{r.randrange(1, 999)} Main Street",
                    "zip": f"{r.randrange(10**5):05d}",
                    "geo": {"lat": round(r.uniform(-90, 90), 4),
                            "lon": round(r.uniform(-180, 180), 4)}},
        "tags": [f"tag-{r.randrange(20)}" for _ in range(3)],
        "prefs": {"lang": r.choice(["en", "fr", "de", "no"]),
                  "theme": {"mode": r.choice(["dark", "light"])}},
    }
    pad = 500 - len(json.dumps(d)) - len(', "bio": ""')
    d["bio"] = ("lorem ipsum dolor sit amet " * 20)[:max(pad, 0)]
    return d


def docs_path(suffix=""):
    return f"/v2/namespaces/{setting('BENCH_DOCS_NAMESPACE')}/collections/{COLL}{suffix}"


def request(gw, method, path, body=None):
    status, out = b.http(gw, method, path, body, {"Content-Type": "application/json"})
    return status, out


# ---- loading ----------------------------------------------------------------------------------

def load(gw):
    """Writes the documents through the batch write; returns (seconds, documents per second)."""
    ns = setting("BENCH_DOCS_NAMESPACE")
    status, out = request(gw, "POST", "/v2/schemas/namespaces",
                          json.dumps({"name": ns, "replicas": 1}).encode())
    if status not in (201, 409):
        raise b.BenchError(f"creating namespace {ns}: {status} {out[:200]!r}")
    status, out = request(gw, "POST", f"/v2/namespaces/{ns}/collections",
                          json.dumps({"name": COLL}).encode())
    if status not in (201, 409):
        raise b.BenchError(f"creating collection {COLL}: {status} {out[:200]!r}")
    total, per = setting("BENCH_DOCS"), setting("BENCH_DOCS_BATCH")
    batches = list(range(0, total, per))
    lock = threading.Lock()
    state = {"next": 0, "retries": 0, "error": None}

    def loader():
        conn = http.client.HTTPConnection(b.HOST, gw.port, timeout=120)
        while True:
            with lock:
                if state["next"] >= len(batches) or state["error"]:
                    break
                start = batches[state["next"]]
                state["next"] += 1
            body = json.dumps([document(i) for i in range(start, min(start + per, total))])
            for attempt in range(10):
                try:
                    conn.request("POST", docs_path("/batch?id-path=name"), body,
                                 {"Content-Type": "application/json"})
                    resp = conn.getresponse()
                    out = resp.read()
                    if resp.status == 202 and len(json.loads(out)["documentIds"]) == \
                            min(per, total - start):
                        break
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(b.HOST, gw.port, timeout=120)
                with lock:
                    state["retries"] += 1
                time.sleep(0.5 * (attempt + 1))
            else:
                with lock:
                    state["error"] = f"batch at {start} failed 10 times"
        conn.close()

    b.log(f"loading {total} documents, {per} a request, {setting('BENCH_DOCS_LOADERS')} "
          "requests at once")
    t0 = time.monotonic()
    threads = [threading.Thread(target=loader) for _ in range(setting("BENCH_DOCS_LOADERS"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    if state["error"]:
        raise b.BenchError(state["error"])
    if state["retries"]:
        b.log(f"{state['retries']} batch requests were sent again")
    return secs, total / secs, state["retries"]


# ---- the searches -----------------------------------------------------------------------------

def search(gw, where, size, profile=False):
    q = {"where": json.dumps(where, separators=(",", ":"))}
    if size:
        q["page-size"] = str(size)
    if profile:
        q["profile"] = "true"
    status, out = b.http(gw, "GET", docs_path("?" + urllib.parse.urlencode(q)))
    if status != 200:
        raise b.BenchError(f"search {where}: {status} {out[:300]!r}")
    return json.loads(out)


def matches(doc, where):
    (field, cond), = where.items()
    v = doc[field]
    return all({"$eq": v == x, "$gte": v >= x, "$lt": v < x}[op] for op, x in cond.items())


def check(gw, name):
    """One search of NAME checked against the documents it must find: the first page-size of
    those of the collection that match (as document() makes them), or all when fewer."""
    _, make, size = SEARCHES[name]
    n = setting("BENCH_DOCS")
    where = make(n, random.Random(7))
    got = search(gw, where, size)["data"]
    count = sum(matches(document(i), where) for i in range(n))
    want = min(size or count, count)
    bad = [k for k, d in got.items() if not matches(d, where) or d != document(int(k[5:]))]
    if len(got) != want or bad:
        raise b.BenchError(f"{name}: {len(got)} documents ({bad[:3]} do not match), expected "
                           f"{want} matching {where}")
    if name == "eq" and list(got) != [where["name"]["$eq"]]:
        raise b.BenchError(f"eq: found {list(got)}, expected {where['name']['$eq']}")


def run_search(gw, name):
    title, make, size = SEARCHES[name]
    seconds, warmup = setting("BENCH_SECONDS"), setting("BENCH_WARMUP")
    b.log(f"{name}: {setting('BENCH_CONNECTIONS')} connections, {seconds} s")
    check(gw, name)
    prof = search(gw, make(setting("BENCH_DOCS"), random.Random(11)), size, True)["profile"]
    os.environ["BENCH_DOCS_SEARCH"] = name
    os.environ["BENCH_DOCS_PATH"] = docs_path()
    os.environ["BENCH_DOCS_COUNT"] = str(setting("BENCH_DOCS"))
    if warmup > 0:
        b.wrk(gw, "docs.lua", warmup, None)
    ticks0 = b.proc_cpu_ticks(gw.pid)
    res = b.wrk(gw, "docs.lua", seconds, None)
    ticks1 = b.proc_cpu_ticks(gw.pid)
    res["gw_cpu_us"] = ((ticks1 - ticks0) * 1e6 / os.sysconf("SC_CLK_TCK")
                        / max(res["requests"], 1))
    return {"name": name, "title": title, "res": res, "profile": prof}


# ---- the report -------------------------------------------------------------------------------

def profile_lines(prof):
    out = []
    for step in prof["nested"]:
        for q in step["queries"]:
            out.append(f"  - {step['description']}: `{q['cql']}` (run {q['executionCount']}, "
                       f"{q['rowCount']} rows)")
    return out


def report(ctx, loaded, results, failures):
    ms = b.fmt_ms
    lines = [f"# cqlgate Document API bench, {ctx['date']} on {ctx['host']}", "",
             f"- machine: {b.machine()}; load average before the run: {ctx['load']}",
             f"- Cassandra {ctx['cassandra']}, one local node; cqlgate {b.commit()}, "
             f"--workers {setting('BENCH_WORKERS')}",
             f"- command: `{ctx['command']}`",
             f"- collection: {setting('BENCH_DOCS')} documents of about 0.5 KB (15 leaves, "
             f"depth 3), {setting('BENCH_DOCS') * 15} rows"]
    if loaded:
        lines.append(f"- loaded in {loaded[0]:.1f} s ({loaded[1]:.0f} documents/s, "
                     f"{setting('BENCH_DOCS_BATCH')} a request, {setting('BENCH_DOCS_LOADERS')} "
                     f"at once, {loaded[2]} requests sent again)")
    lines += ["", f"{setting('BENCH_CONNECTIONS')} keep-alive connections (wrk), "
              f"{setting('BENCH_SECONDS')} s each:", "",
              "| search | req/s | p50 ms | p90 ms | p99 ms | max ms | failed | cqlgate CPU/req |",
              "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for r in results:
        x = r["res"]
        lines.append(f"| {r['title']} | {x['rps']:,.0f} | {ms(x['p50_us'])} | "
                     f"{ms(x['p90_us'])} | {ms(x['p99_us'])} | {ms(x['max_us'])} | "
                     f"{x['errors_total']} | {x['gw_cpu_us']:.0f} µs |")
    lines += ["", "CQL each search ran (from `profile=true`):", ""]
    for r in results:
        lines.append(f"- {r['name']}:")
        lines += profile_lines(r["profile"])
    if failures:
        lines += ["", "Failures:", ""] + [f"- {f}" for f in failures]
    return "\n".join(lines) + "\n"


def main():
    for name in b.SETTINGS:
        setting(name)
    for path in (b.CQLGATE, b.CQLC):
        if not os.access(path, os.X_OK):
            raise b.BenchError(f"{path} is not built (make)")
    names = [n.strip() for n in setting("BENCH_DOCS_SEARCHES").split(",") if n.strip()]
    for n in names:
        if n not in SEARCHES:
            raise b.BenchError(f"unknown search {n!r} in BENCH_DOCS_SEARCHES")
    ctx = {"date": time.strftime("%Y-%m-%d"), "host": socket.gethostname().split(".")[0],
           "load": " ".join(open("/proc/loadavg").read().split()[:3]),
           "command": " ".join([f"{k}={os.environ[k]}" for k in b.SETTINGS
                                if os.environ.get(k)] + ["make bench-docs"])}
    b.ensure_cassandra()
    ctx["cassandra"] = b.cqlc("SELECT release_version FROM system.local")[0]["release_version"]
    failures, results, loaded, gw = [], [], None, None
    try:
        gw = b.Gateway(1000)
        gw.wait_ready()
        if setting("BENCH_DOCS_SEED"):
            loaded = load(gw)
            b.log(f"loaded in {loaded[0]:.1f} s ({loaded[1]:.0f} documents/s)")
        for n in names:
            r = run_search(gw, n)
            results.append(r)
            if r["res"]["errors_total"]:
                failures.append(f"{n}: {r['res']['errors_total']} failed requests "
                                f"({r['res']['errors']})")
    except b.BenchError as e:
        failures.append(str(e).splitlines()[0])
        b.log(str(e))
    finally:
        b.finish(gw, setting("BENCH_DOCS_NAMESPACE"), failures)
    text = report(ctx, loaded, results, failures)
    print(text)
    out_dir = os.path.join(b.ROOT, setting("BENCH_RESULTS"))
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, f"{ctx['date']}-{ctx['host']}-docs.md")
    with open(out, "w") as f:
        f.write(text)
    b.log(f"written to {os.path.relpath(out, b.ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except b.BenchError as e:
        b.log(str(e))
        sys.exit(1)
