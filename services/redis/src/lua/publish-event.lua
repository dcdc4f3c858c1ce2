-- publish-event: appends one event to a user's history and publishes it live, as one atomic step.
--
-- KEYS[1]  the user's history stream, `<prefix>events:{user_id}`
-- ARGV[1]  the user's channel, `<prefix>notifications:{user_id}`
-- ARGV[2]  the event body as a JSON object, e.g. '{"type":"new_message",...}'
-- ARGV[3]  maxEvents: trimmed with `MAXLEN ~`, so at least this many entries are kept
-- ARGV[4]  ttlMs: the stream expires this long after its last event
-- Returns  the stream id of the entry ("<ms>-<seq>"): the event_id
--
-- The entry holds the body in field `d`. The payload published (and rebuilt by history reads) is
-- eventPayload(id, body) of @chat4all/core: '{"event_id":"<id>",' followed by the body minus its '{'.
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'd', ARGV[2])
local payload = '{"event_id":"' .. id .. '",' .. string.sub(ARGV[2], 2)
redis.call('PUBLISH', ARGV[1], payload)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return id
