-- GET /api/wallet/me/ from random funded users (bench/run.py): the lightest authenticated request.
-- wrk -s read.lua URL -- <tokens file>
local here = debug.getinfo(1, "S").source:sub(2):match("^(.*)/") or "."
dofile(here .. "/common.lua")

function init(args)
   load_args(args)
end

function request()
   count_sent()
   return wrk.format("GET", "/api/wallet/me/", {
      ["Authorization"] = users[math.random(1, #users)].auth,
      ["X-Forwarded-Proto"] = "https",
   })
end
