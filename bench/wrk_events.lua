-- wrk script: POST /v1/events with unique attendance events (batches or single objects).
-- wrk -t1 -c8 -d15s -s bench/wrk_events.lua http://host:port/v1/events -- <key> <batch> <at> <nips>
local threads_started = 0
local counter = 0
local key, batch, at, nips  -- `tid` is a global set by setup()

function setup(thread)
  threads_started = threads_started + 1
  thread:set("tid", threads_started)
end

function init(args)
  key, batch, at = args[1], tonumber(args[2]), args[3]
  nips = {}
  for nip in string.gmatch(args[4], "[^,]+") do nips[#nips + 1] = nip end
  tid = tid or 0
end

local function event()
  counter = counter + 1
  return string.format(
    '{"event_id":"%08x-0000-4000-8000-%012x","type":"attendance.recorded","schema_version":1,' ..
    '"occurred_at":"%s","nip":"%s","source":{"kind":"device","id":"TBL00000001"},' ..
    '"payload":{"direction":"in","method":"fingerprint","device_sn":"TBL00000001"}}',
    tid, counter, at, nips[(counter % #nips) + 1])
end

function request()
  local body
  if batch == 1 then
    body = event()
  else
    local parts = {}
    for i = 1, batch do parts[i] = event() end
    body = "[" .. table.concat(parts, ",") .. "]"
  end
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-Api-Key"] = key}, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests":%d,"seconds":%.3f,"non_2xx":%d,"socket_errors":%d,' ..
    '"p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f}\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
