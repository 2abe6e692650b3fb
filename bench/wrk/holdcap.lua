-- A hold and its capture (bench/run.py): a random payer creates a hold for a random payee
-- (POST /api/holds/, 201), then the payee captures it whole (POST /api/holds/{id}/capture/, 200).
-- wrk -s holdcap.lua URL -- <tokens file> [amount, default 0.05] [stop after N answers per thread]
--
-- A thread's connections share one queue: response() puts each created hold (its id and payee,
-- read from the 201's body) on it, and the next request() of any of the thread's connections
-- captures the oldest waiting hold, or else creates a new one. So about half the requests are
-- captures, and each 200 is one completed pair. Holds still waiting when the run ends stay
-- active (they expire).
local here = debug.getinfo(1, "S").source:sub(2):match("^(.*)/") or "."
dofile(here .. "/common.lua")

local count_answer = response
local by_id = {}
local waiting, first, last = {}, 1, 0
local amount

function init(args)
   load_args(args)
   for _, user in ipairs(users) do
      by_id[user.id] = user
   end
   amount = mode ~= "" and mode or "0.05"
   if not amount:match("^%d+%.%d%d$") then
      error("holdcap.lua: the amount must look like 0.05, not " .. amount)
   end
end

local headers = function(user)
   return {
      ["Authorization"] = user.auth,
      ["Content-Type"] = "application/json",
      ["X-Forwarded-Proto"] = "https",
   }
end

function request()
   count_sent()
   if first <= last then
      local hold = waiting[first]
      waiting[first] = nil
      first = first + 1
      return wrk.format("POST", "/api/holds/" .. hold.id .. "/capture/", headers(hold.payee), "{}")
   end
   local a = math.random(1, #users)
   local b = math.random(1, #users - 1)
   if b >= a then
      b = b + 1
   end
   local body = string.format('{"payee_id": %d, "amount": "%s"}', users[b].id, amount)
   return wrk.format("POST", "/api/holds/", headers(users[a]), body)
end

function response(status, headers, body)
   count_answer(status, headers, body)
   if status == 201 and body then
      local id = body:match('^%s*{%s*"id"%s*:%s*(%d+)')
      local payee = body:match('"payee"%s*:%s*{%s*"id"%s*:%s*(%d+)')
      local user = payee and by_id[tonumber(payee)]
      if id and user then
         last = last + 1
         waiting[last] = { id = id, payee = user }
      else
         statuses["201 unreadable"] = (statuses["201 unreadable"] or 0) + 1
      end
   end
end
