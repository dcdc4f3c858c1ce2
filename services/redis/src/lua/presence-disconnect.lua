-- presence-disconnect: removes one connection of a user (idempotent).
--
-- KEYS[1]  the user's connections, `<prefix>presence:{user_id}` (see presence-connect.lua)
-- ARGV[1]  the connection id
-- Returns  1 when the user still has a live connection after this call, else 0
--
-- Expired members are removed too; Redis deletes the key when the set becomes empty.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
if redis.call('ZCARD', KEYS[1]) > 0 then
  return 1
end
return 0
