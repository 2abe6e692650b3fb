-- POST /api/transactions/{id}/refund/ (bench/run.py): a random user refunds a small part of a
-- transfer they received (the third column of the tokens file: its id, written by
-- bench/prepare.py --refunds). Each seeded transfer is large enough for the whole run.
-- wrk -s refund.lua URL -- <refunds file> [amount, default 0.01] [stop after N answers per thread]
local here = debug.getinfo(1, "S").source:sub(2):match("^(.*)/") or "."
dofile(here .. "/common.lua")

local body

function init(args)
   load_args(args)
   for _, user in ipairs(users) do
      if #user.ids == 0 then
         error("refund.lua: user " .. user.id .. " has no received transfer in " .. args[1])
      end
   end
   local amount = mode ~= "" and mode or "0.01"
   if not amount:match("^%d+%.%d%d$") then
      error("refund.lua: the amount must look like 0.01, not " .. amount)
   end
   body = string.format('{"amount": "%s"}', amount)
end

function request()
   count_sent()
   local user = users[math.random(1, #users)]
   local transfer = user.ids[math.random(1, #user.ids)]
   return wrk.format("POST", "/api/transactions/" .. transfer .. "/refund/", {
      ["Authorization"] = user.auth,
      ["Content-Type"] = "application/json",
      ["X-Forwarded-Proto"] = "https",
   }, body)
end
