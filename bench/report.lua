-- Shared by bench/intake.lua and bench/healthz.lua (loaded with dofile; not a wrk script alone).
--
-- Counts responses per wrk thread (expected status vs anything else, with the first unexpected
-- response kept for diagnosis) and, in done(), prints one line:
--   BENCH_RESULT {"requests":...,"rps":...,"p50_ms":...,...}
-- which bench/intake.py parses. The caller sets the global `expected_status` first.

local threads = {}
local next_thread_id = 1

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
  table.insert(threads, thread)
end

expected = 0
unexpected = 0
first_unexpected = ""

function response(status, headers, body)
  if status == expected_status then
    expected = expected + 1
  else
    unexpected = unexpected + 1
    if first_unexpected == "" then
      first_unexpected = tostring(status) .. " " .. string.sub(body or "", 1, 400)
    end
  end
end

local function json_string(s)
  s = string.gsub(s, '[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    return string.format("\\u%04x", string.byte(c))
  end)
  return '"' .. s .. '"'
end

function done(summary, latency, requests)
  local ok, bad, sample = 0, 0, ""
  for _, thread in ipairs(threads) do
    ok = ok + (thread:get("expected") or 0)
    bad = bad + (thread:get("unexpected") or 0)
    local s = thread:get("first_unexpected") or ""
    if sample == "" and s ~= "" then sample = s end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_s":%.3f,"rps":%.2f,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,' ..
    '"expected_status":%d,"expected_responses":%d,"unexpected_responses":%d,' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"wrk_status_errors":%d,' ..
    '"first_unexpected":%s}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    expected_status, ok, bad,
    e.connect, e.read, e.write, e.timeout, e.status,
    json_string(sample)))
end
