-- wrk script of `cargo xtask load` (xtask/src/load.rs).
--
-- LOAD_TOKENS_FILE=path: one bearer token per line; every request carries the next one (each wrk
-- thread starts at its own offset and cycles through the whole file). The requests are formatted
-- once in init(), so request() is a table lookup.
-- Without it, wrk sends its static request (the URL and any -H header).
--
-- done() prints one machine-readable line:
--   WRK_RESULT requests=N duration_us=N p50_us=N p99_us=N status_errors=N connect=N read=N write=N timeout=N
-- (status_errors: responses with a status above 399.)

local tokens_file = os.getenv("LOAD_TOKENS_FILE")
if tokens_file == "" then
  tokens_file = nil
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads)
end

if tokens_file then
  local requests = {}
  local count = 0
  local next_index = 1

  function init(args)
    for line in io.lines(tokens_file) do
      if #line > 0 then
        count = count + 1
        requests[count] = wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. line })
      end
    end
    if count == 0 then
      error("load.lua: no token in " .. tokens_file)
    end
    -- Threads start evenly spread, so that they do not send the same token at the same time.
    local index = thread_index or 1
    local nthreads = tonumber(os.getenv("LOAD_THREADS") or "") or 1
    next_index = ((index - 1) * math.floor(count / math.max(nthreads, 1))) % count + 1
  end

  function request()
    local r = requests[next_index]
    next_index = next_index + 1
    if next_index > count then
      next_index = 1
    end
    return r
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
