-- page.lua: scenario 4, GET /v2/keyspaces/{ks}/series/{p}?page-size=BENCH_PAGE_SIZE: the first
-- page of a random partition (cqlload --scenario page).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local prefix = "/v2/keyspaces/" .. bench.keyspace .. "/series/"
local suffix = "?page-size=" .. bench.page_size

function request()
    return wrk.format("GET", prefix .. bench.series_key(math.random(0, bench.partitions - 1)) .. suffix)
end
