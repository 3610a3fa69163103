-- wrk script for the trivial endpoint: GET /healthz (no database access), 200 expected.
-- Run by bench/intake.py; alone: wrk -t2 -c8 -d20s -s bench/healthz.lua http://127.0.0.1:PORT
local here = (debug.getinfo(1, "S").source:match("^@(.*/)")) or "./"
dofile(here .. "report.lua")

expected_status = 200
wrk.method = "GET"
wrk.path = "/healthz"
