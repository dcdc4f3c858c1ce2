-- presence-refresh: extends the live connections of one user to now + ttl (a heartbeat).
--
-- KEYS[1]  the user's connections, `<prefix>presence:{user_id}` (see presence-connect.lua)
-- ARGV[1]  ttlMs
-- ARGV[2..n]  connection ids
-- Returns  how many connections were extended
--
-- Only connections that are registered and not expired are extended: an expired or removed
-- connection is not brought back (ZADD XX would revive an expired member not yet trimmed).
-- The key's expiry moves to its latest member's.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = string.format('%.0f', now + tonumber(ARGV[1]))
local extended = 0
for i = 2, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) > now then
    redis.call('ZADD', KEYS[1], 'XX', expiry, ARGV[i])
    extended = extended + 1
  end
end
if extended > 0 then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[1], last[2])
end
return extended
