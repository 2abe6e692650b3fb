-- POST /api/wallet/transfer/ (bench/run.py). Modes: "spread" (a random pair of distinct funded
-- users each time) or "hot" (every request sends from the first user of the tokens file).
-- wrk -s transfer.lua URL -- <tokens file> <spread|hot> [stop after N answers per thread]
local here = debug.getinfo(1, "S").source:sub(2):match("^(.*)/") or "."
dofile(here .. "/common.lua")

function init(args)
   load_args(args)
   if mode ~= "spread" and mode ~= "hot" then
      error("transfer.lua: mode must be spread or hot, not " .. tostring(mode))
   end
end

function request()
   count_sent()
   local sender, receiver
   if mode == "hot" then
      sender = users[1]
      receiver = users[math.random(2, #users)]
   else
      local a = math.random(1, #users)
      local b = math.random(1, #users - 1)
      if b >= a then
         b = b + 1
      end
      sender, receiver = users[a], users[b]
   end
   local body = string.format('{"receiver_id": %d, "amount": "%d.%02d"}', receiver.id, 0,
                              math.random(1, 99))
   return wrk.format("POST", "/api/wallet/transfer/", {
      ["Authorization"] = sender.auth,
      ["Content-Type"] = "application/json",
      ["X-Forwarded-Proto"] = "https",
   }, body)
end
