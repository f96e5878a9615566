-- wrk script: POST /api/payouts, each request with its own Idempotency-Key and
-- external_reference, cycling over bench users first_user .. first_user + users - 1.
-- Arguments (after `--`): first_user users run_id. Prints one STATUS line per response status
-- and one SUMMARY line, which bench/harness/wrk.py parses.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  first_user = tonumber(args[1])
  users = tonumber(args[2])
  run_id = args[3]
  counter = 0
  statuses = {}
end

function request()
  counter = counter + 1
  local user = first_user + counter % users
  local reference = run_id .. "-" .. thread_id .. "-" .. counter
  local body = string.format(
    '{"user_id":%d,"amount":"1.00","currency":"USD","wallet":"W-bench","external_reference":"%s"}',
    user, reference)
  return wrk.format("POST", "/api/payouts", {
    ["Authorization"] = "Bearer psk_bench_" .. user,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = reference,
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("STATUS %d %d\n", status, count))
  end
  local e = summary.errors
  io.write(string.format(
    "SUMMARY requests=%d duration_us=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
