-- wrk script for bench/wrk_orders.py: POST /api/v1/orders (or GET a product, WRK_MODE=read),
-- each request with a member's token in turn and, for orders, an Idempotency-Key of its own.
-- Settings come from the environment: WRK_TOKENS (a file, one token a line), WRK_PRODUCT, WRK_MODE.
-- Prints one line "statuses <status>=<count> ..." at the end (every thread's answers).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  for line in io.lines(os.getenv("WRK_TOKENS")) do
    table.insert(tokens, line)
  end
  product = os.getenv("WRK_PRODUCT")
  mode = os.getenv("WRK_MODE") or "order"
  run = os.getenv("WRK_RUN") or "run"
  statuses = {}
  order_body = '{"items": [{"product_id": "' .. product .. '", "quantity": 1}]}'
end

function request()
  counter = counter + 1
  local token = tokens[(counter + id * 7) % #tokens + 1]
  local headers = {["Authorization"] = "Bearer " .. token}
  if mode == "read" then
    return wrk.format("GET", "/api/v1/products/" .. product, headers)
  end
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = "wrk-" .. run .. "-" .. id .. "-" .. counter
  return wrk.format("POST", "/api/v1/orders", headers, order_body)
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
  local parts = {}
  for status, count in pairs(total) do
    table.insert(parts, status .. "=" .. count)
  end
  io.write("statuses " .. table.concat(parts, " ") .. "\n")
  io.write(string.format("p99_ms %.1f\n", latency:percentile(99) / 1000))
  io.write(string.format("p50_ms %.1f\n", latency:percentile(50) / 1000))
end
