-- presence-online: which of the given users have a live connection now.
--
-- KEYS[1..n]  the users' connection sets, `<prefix>presence:{user_id}` (see presence-connect.lua)
-- ARGV        none
-- Returns     an array of n integers, in KEYS order: 1 when that user is online, else 0
--
-- Read-only. Several keys in one call assume a single Redis (or Sentinel) deployment, not Cluster.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local after = '(' .. string.format('%.0f', now)
local result = {}
for i = 1, #KEYS do
  if redis.call('ZCOUNT', KEYS[i], after, '+inf') > 0 then
    result[i] = 1
  else
    result[i] = 0
  end
end
return result
