-- Shared by every workload: the session cookies (COOKIES, '|'-separated) are used round robin, and METHOD, URL_PATH and
-- BODY say what to send. BODY may contain {n}, replaced by a per-request counter, so every write really changes.
local cookies = {}
for cookie in string.gmatch(os.getenv("COOKIES") or "", "[^|]+") do table.insert(cookies, cookie) end
local method = os.getenv("METHOD") or "GET"
local path = os.getenv("URL_PATH") or "/"
local body = os.getenv("BODY")
local use_cookies = os.getenv("NO_COOKIES") == nil
local counter = 0

request = function()
  counter = counter + 1
  local headers = {}
  if use_cookies and #cookies > 0 then headers["Cookie"] = cookies[(counter % #cookies) + 1] end
  local payload = nil
  if body then
    headers["Content-Type"] = "application/json"
    payload = string.gsub(body, "{n}", tostring(counter))
  end
  return wrk.format(method, path, headers, payload)
end
