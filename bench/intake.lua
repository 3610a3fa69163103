-- wrk script for incident intake: POST /api/v1/incidents, 201 expected for every request.
--
-- BENCH_DATA names a Lua file, written by bench/intake.py, that returns
--   { run = "<run id>", occurred_at = "<ISO time a few minutes ago>",
--     entries = { { token = "cf_...", school_id = 2, students = { 11, 12, ... } }, ... } }
-- Each request rotates through the entries (one API token per demo staff member, with
-- students of that person's school) and carries a unique Idempotency-Key, so every
-- request stores a new incident.
local here = (debug.getinfo(1, "S").source:match("^@(.*/)")) or "./"
dofile(here .. "report.lua")

expected_status = 201

local data_path = os.getenv("BENCH_DATA")
assert(data_path, "BENCH_DATA is not set (bench/intake.py writes the data file and sets it)")
local data = dofile(data_path)

local behaviors = { "disruption", "defiance", "disrespect", "inappropriate_language", "tardy" }
local locations = { "Classroom", "Hallway or stairs", "Cafeteria area", "Library/media center" }
local counter = 0

function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
end

function request()
  counter = counter + 1
  local n = #data.entries
  local entry = data.entries[((counter + (thread_id or 0)) % n) + 1]
  local student = entry.students[math.random(#entry.students)]
  local key = string.format("%s-t%d-%d-%08x", data.run, thread_id or 0, counter,
                            math.random(0, 0x7fffffff))
  local body = string.format(
    '{"school_id":%d,"occurred_at":"%s","location":"%s","behaviors":["%s"],' ..
    '"description":"Benchmark incident %s: talked over the teacher during the lesson.",' ..
    '"students":[{"student_id":%d,"role":"responsible"}]}',
    entry.school_id, data.occurred_at, locations[(counter % #locations) + 1],
    behaviors[(counter % #behaviors) + 1], key, student)
  return wrk.format("POST", "/api/v1/incidents", {
    ["Authorization"] = "Bearer " .. entry.token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, body)
end
