-- common.lua: what every wrk script of bench/ shares: settings from the environment (the same
-- defaults as cqlload), a random generator seeded per thread, the X-Cassandra-Token header when
-- BENCH_TOKEN is set, and a done() that prints the run's figures as one JSON line,
--   wrk-json: {"requests": N, "seconds": S, "rps": R, "p50_us": .., "errors": {..}}
-- which bench/run.py reads. Each scenario script loads this file and defines request().

local function setting(name, default)
    local v = os.getenv(name)
    if v == nil or v == "" then
        return default
    end
    return tonumber(v) or v
end

bench = {
    keyspace = setting("BENCH_KEYSPACE", "cqlgate_bench"),
    keys = setting("BENCH_KEYS", 100000),
    partitions = setting("BENCH_PARTITIONS", 50),
    rows_per_partition = setting("BENCH_ROWS_PER_PARTITION", 2000),
    range_rows = setting("BENCH_RANGE_ROWS", 20),
    page_size = setting("BENCH_PAGE_SIZE", 1000),
}

local token = os.getenv("BENCH_TOKEN")
if token ~= nil and token ~= "" then
    wrk.headers["X-Cassandra-Token"] = token
end

-- Keys as cqlload writes them: k000042 in keyvalue, p0007 in series.
function bench.kv_key(i)
    return string.format("k%06d", i)
end

function bench.series_key(p)
    return string.format("p%04d", p)
end

-- S percent-encoded for a query string: everything but unreserved characters.
function bench.escape(s)
    return (s:gsub("[^%w%-%._~]", function(c)
        return string.format("%%%02X", string.byte(c))
    end))
end

local threads = 0

function setup(thread)
    thread:set("thread_id", threads)
    threads = threads + 1
end

function init(args)
    math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
end

function done(summary, latency, requests)
    local e = summary.errors
    local secs = summary.duration / 1e6
    io.write(string.format(
        'wrk-json: {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_us": %d, "p90_us": %d, '
        .. '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "errors": {"connect": %d, "read": %d, '
        .. '"write": %d, "status": %d, "timeout": %d}}\n',
        summary.requests, secs, summary.requests / secs, latency:percentile(50),
        latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
        e.connect, e.read, e.write, e.status, e.timeout))
end
