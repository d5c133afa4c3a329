-- wrk script for deploy/bench.sh: POSTs Jira comment_created webhooks (~1 KB) with distinct comment ids, rotating
-- over the tokens in a file and over a range of linked issue ids.
--   wrk -t2 -c64 -d30s -s ingress.lua http://127.0.0.1:5180 -- <tokens file> <payload template> <id base> <issues>
-- The template holds __COMMENT__ and __ISSUE__. done() prints one line: "WRK requests=… non2xx=… p50_us=…".
local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local function read_all(path)
  local file = assert(io.open(path, "r"))
  local text = file:read("*a")
  file:close()
  return text
end

function init(args)
  tokens = {}
  for line in read_all(args[1]):gmatch("[^\r\n]+") do table.insert(tokens, line) end
  -- The template as a format string: literal % doubled, placeholders as %s (comment, issue, issue, issue, …).
  local template = read_all(args[2]):gsub("%s+$", ""):gsub("%%", "%%%%")
  order = {}
  template = template:gsub("__(%u+)__", function(name) table.insert(order, name); return "%s" end)
  format = template
  id_base = tonumber(args[3]) + thread_index * 10000000
  issues = tonumber(args[4])
  issue_base = 10000
end

function request()
  counter = counter + 1
  local comment = string.format("%.0f", id_base + counter)
  local issue = tostring(issue_base + counter % issues)
  local values = {}
  for i, name in ipairs(order) do values[i] = (name == "COMMENT") and comment or issue end
  local body = string.format(format, (unpack or table.unpack)(values))
  local token = tokens[counter % #tokens + 1]
  return wrk.format("POST", "/api/v1/webhooks/" .. token, {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "Atlassian Webhook HTTP Client",
    ["X-Atlassian-Webhook-Identifier"] = comment,
    ["X-Atlassian-Webhook-Flow"] = "Primary",
  }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK requests=%d duration_us=%d non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
