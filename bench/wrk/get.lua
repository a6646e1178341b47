-- get.lua: scenario 1, GET /v2/keyspaces/{ks}/keyvalue/{k} for a random key over BENCH_KEYS
-- (cqlload --scenario get).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local prefix = "/v2/keyspaces/" .. bench.keyspace .. "/keyvalue/"

function request()
    return wrk.format("GET", prefix .. bench.kv_key(math.random(0, bench.keys - 1)))
end
