-- where.lua: scenario 3, GET /v2/keyspaces/{ks}/series?where= on a clustering range of
-- BENCH_RANGE_ROWS rows in a random partition (cqlload --scenario range):
--   {"p":{"$eq":"p0007"},"c":{"$gte":120,"$lt":140}}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local prefix = "/v2/keyspaces/" .. bench.keyspace .. "/series?where="

function request()
    local p = math.random(0, bench.partitions - 1)
    local c0 = math.random(0, bench.rows_per_partition - bench.range_rows)
    local where = string.format('{"p":{"$eq":"%s"},"c":{"$gte":%d,"$lt":%d}}',
        bench.series_key(p), c0, c0 + bench.range_rows)
    return wrk.format("GET", prefix .. bench.escape(where))
end
