-- presence-connect: registers one connection of a user until now + ttl.
--
-- KEYS[1]  the user's connections, `<prefix>presence:{user_id}`: a sorted set of connection ids
--          scored by their expiry in Unix ms of the Redis server's clock (TIME)
-- ARGV[1]  the connection id
-- ARGV[2]  ttlMs
-- Returns  1 when the user had a live connection before this call (the same id counts), else 0
--
-- Expired members are removed first; the key expires with its last connection.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nowArg = string.format('%.0f', now)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowArg)
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[2])), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
if before > 0 then
  return 1
end
return 0
