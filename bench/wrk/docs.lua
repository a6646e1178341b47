-- docs.lua: Document API searches of bench/docs.py on its collection of BENCH_DOCS_COUNT
-- documents, BENCH_DOCS_SEARCH picking which:
--   eq     {"name":{"$eq":"user-000042"}}                 a random document, 1 match
--   city   {"city":{"$eq":"city-17"}}, page-size=20       a random one of 50 cities
--   range  {"age":{"$gte":30,"$lt":35}}, page-size=20     a random five years of 0..99
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local path = os.getenv("BENCH_DOCS_PATH")
local count = tonumber(os.getenv("BENCH_DOCS_COUNT") or "100000")
local kind = os.getenv("BENCH_DOCS_SEARCH") or "eq"

function request()
    local where, size
    if kind == "eq" then
        where = string.format('{"name":{"$eq":"user-%06d"}}', math.random(0, count - 1))
    elseif kind == "city" then
        where = string.format('{"city":{"$eq":"city-%02d"}}', math.random(0, 49))
        size = 20
    else
        local a = math.random(0, 94)
        where = string.format('{"age":{"$gte":%d,"$lt":%d}}', a, a + 5)
        size = 20
    end
    local q = "?where=" .. bench.escape(where)
    if size then
        q = q .. "&page-size=" .. size
    end
    return wrk.format("GET", path .. q)
end
