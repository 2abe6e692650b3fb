-- Shared by the scripts of bench/wrk/ (loaded with dofile): the tokens file, the status count
-- of every answer, per thread, and one machine-readable summary line printed by done().
--
-- Arguments after wrk's "--": <tokens file> [mode] [stop after N answers per thread, 0 = never].
-- The tokens file holds one "<user id> <access token> [<ids>]" line per funded user; the optional
-- third column, comma-separated ids (refund.lua: the transfers the user received), is kept as
-- the user's "ids".

local threads = {}
local thread_count = 0

function setup(thread)  -- main Lua state: keep each thread to read its counts in done()
   thread_count = thread_count + 1
   thread:set("thread_id", thread_count)
   table.insert(threads, thread)
end

-- Per-thread globals (each thread has its own Lua state).
users = {}
statuses = {}
answered = 0
sent = 0
verified = false
stop_after = 0
mode = ""

function load_args(args)
   local path = args[1]
   if not path then
      error("usage: wrk ... -s script.lua URL -- <tokens file> [mode] [stop after]")
   end
   for line in io.lines(path) do
      local id, token, rest = line:match("^(%d+)%s+(%S+)%s*(%S*)$")
      if id then
         local ids = {}
         for each in rest:gmatch("%d+") do
            ids[#ids + 1] = tonumber(each)
         end
         users[#users + 1] = { id = tonumber(id), auth = "Bearer " .. token, ids = ids }
      end
   end
   if #users < 2 then
      error("the tokens file " .. path .. " holds fewer than two users")
   end
   mode = args[2] or ""
   stop_after = tonumber(args[3] or "0") or 0
   math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
end

-- Called by each script's request(): requests written, so that those still unanswered when the
-- run ends are known. wrk calls request() once more on the first thread before the run, to
-- check what it returns; that call is not counted.
function count_sent()
   if thread_id == 1 and not verified then
      verified = true
      return
   end
   sent = sent + 1
end

function response(status, headers, body)
   local key = tostring(status)
   if status >= 400 and body then
      local code = body:match('"code"%s*:%s*"([%w_]+)"')
      if code then
         key = key .. " " .. code
      end
   end
   statuses[key] = (statuses[key] or 0) + 1
   answered = answered + 1
   if stop_after > 0 and answered >= stop_after then
      wrk.thread:stop()
   end
end

local function json_string(text)
   return '"' .. tostring(text):gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
   end) .. '"'
end

function done(summary, latency, requests)
   local total, written, answers = {}, 0, 0
   for _, thread in ipairs(threads) do
      local counts = thread:get("statuses") or {}
      for key, count in pairs(counts) do
         total[key] = (total[key] or 0) + count
      end
      written = written + (thread:get("sent") or 0)
      answers = answers + (thread:get("answered") or 0)
   end
   local parts = {}
   for key, count in pairs(total) do
      parts[#parts + 1] = json_string(key) .. ":" .. string.format("%d", count)
   end
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"sent":%d,"answered":%d,"statuses":{%s},' ..
      '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d}}\n',
      summary.requests, summary.duration, summary.bytes, written, answers, table.concat(parts, ","),
      latency:percentile(50), latency:percentile(90), latency:percentile(95),
      latency:percentile(99), latency.max, latency.mean,
      e.connect, e.read, e.write, e.timeout, e.status))
end
