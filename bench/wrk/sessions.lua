-- Shared by every workload: the session cookies (COOKIES, '|'-separated) are used round robin, and METHOD, URL_PATH,
-- CONTENT_TYPE and BODY say what to send. BODY may contain {n}, replaced by a per-request counter (counting from
-- COUNTER_START, which the harness makes different for every run), so every write really changes, and {i}, replaced by
-- the index of the session (0-based) the request is for.
-- ETAGS ('|'-separated, one per cookie, the quoted ETag of each session's current value) turns on conditional saves:
-- each request sends its session's ETag as If-Match, and learns the next one from the response, which must hold
-- "i":<index> (the session's body does); a session waiting for its answer is skipped, so two requests never race for
-- one session and every If-Match names the current value.
-- COUNT_STATUS counts the answers by status (a save that lost to another writer answers 409, for instance) and prints
-- one "status <code> <count>" line per status when the run ends.
local cookies = {}
for cookie in string.gmatch(os.getenv("COOKIES") or "", "[^|]+") do table.insert(cookies, cookie) end
local method = os.getenv("METHOD") or "GET"
local path = os.getenv("URL_PATH") or "/"
local body = os.getenv("BODY")
local content_type = os.getenv("CONTENT_TYPE") or "application/json"
local use_cookies = os.getenv("NO_COOKIES") == nil
local counter = tonumber(os.getenv("COUNTER_START") or "0")
local count_statuses = os.getenv("COUNT_STATUS") ~= nil

local etags = nil
local busy = {}
if os.getenv("ETAGS") then
  etags = {}
  for etag in string.gmatch(os.getenv("ETAGS"), "[^|]+") do table.insert(etags, etag) end
end

local function next_index()
  counter = counter + 1
  if #cookies == 0 then return nil end
  local index = (counter % #cookies) + 1
  if etags then
    for _ = 1, #cookies do
      if not busy[index] then break end
      counter = counter + 1
      index = (counter % #cookies) + 1
    end
    busy[index] = true
  end
  return index
end

request = function()
  local index = next_index()
  local headers = {}
  if use_cookies and index then headers["Cookie"] = cookies[index] end
  if etags and index and etags[index] then headers["If-Match"] = etags[index] end
  local payload = nil
  if body then
    headers["Content-Type"] = content_type
    payload = string.gsub(body, "{n}", tostring(counter))
    if index then payload = string.gsub(payload, "{i}", tostring(index - 1)) end
  end
  return wrk.format(method, path, headers, payload)
end

-- Answers by status, in each thread's state; done() (in the main state) reads them through the threads setup() kept.
statuses = {}
local threads = {}
if count_statuses then setup = function(thread) table.insert(threads, thread) end end

if etags or count_statuses then
  response = function(status, headers, response_body)
    if count_statuses then statuses[status] = (statuses[status] or 0) + 1 end
    if not etags then return end
    local i = tonumber(string.match(response_body or "", '"i":(%d+)'))
    if not i then return end
    busy[i + 1] = nil
    local etag = headers["ETag"] or headers["etag"] or headers["Etag"]
    if etag then etags[i + 1] = etag end
  end
end

if count_statuses then
  done = function(summary, latency, requests)
    local total = {}
    for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses") or {}) do total[status] = (total[status] or 0) + n end
    end
    for status, n in pairs(total) do io.write(string.format("status %d %d\n", status, n)) end
  end
end
