-- post.lua: scenario 2, POST /v2/keyspaces/{ks}/keyvalue with the row cqlload --scenario insert
-- writes for a random key over BENCH_KEYS: the same thirteen columns in the same order, so the
-- gateway prepares the same INSERT.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local path = "/v2/keyspaces/" .. bench.keyspace .. "/keyvalue"
local headers = { ["Content-Type"] = "application/json" }
local cities = { "Lisbon", "Nairobi", "Osaka", "Quito", "Tromso", "Adelaide", "Montreal", "Tbilisi" }
local bio = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    .. "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
    .. "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure "
    .. "dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur."

local function row(i)
    local cents = (i * 7919) % 1000000
    return string.format(
        '{"k":"%s","name":"user %d","email":"user%d@example.com","city":"%s","bio":"%s #%d",'
        .. '"age":%d,"visits":%d,"score":%.3f,"active":%s,"created":"%s",'
        .. '"uid":"00000000-0000-4000-8000-%012x","balance":%d.%02d,"tags":["t%d","t%d","bench"]}',
        bench.kv_key(i), i, i, cities[i % 8 + 1], bio, i, 18 + i % 60, i * 37, (i % 1000) / 8,
        tostring(i % 3 ~= 0), os.date("!%Y-%m-%dT%H:%M:%SZ", 1700000000 + i), i,
        math.floor(cents / 100), cents % 100, i % 10, i % 7)
end

function request()
    return wrk.format("POST", path, headers, row(math.random(0, bench.keys - 1)))
end
