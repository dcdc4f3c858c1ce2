-- publish-event: appends one event to a user's history and publishes it live, as one atomic step.
--
-- KEYS[1]  the user's history stream, `<prefix>events:{user_id}`
-- ARGV[1]  the user's channel, `<prefix>notifications:{user_id}`
-- ARGV[2]  the event body, encodeEventBody() of @chat4all/contract: '{"type":"new_message",...}'
-- ARGV[3]  maxEvents: trimmed with `MAXLEN ~`, so at least this many entries are kept
-- ARGV[4]  ttlMs: the stream expires this long after its last event
-- Returns  the stream id of the entry ("<ms>-<seq>"): the event_id
--
-- The body is opaque here: it is stored as it came (field `d`) and never parsed or re-encoded
-- (cjson would reorder its fields, escape '/' and turn [] into {}). Only the event_id, which XADD
-- assigns inside this step, has to go into the payload: eventPayload(id, body) of the contract,
-- '{"event_id":"<id>",' followed by the body minus its '{'. That splice needs the body to open
-- with a field, as encodeEventBody's always does; anything else is refused before it is stored.
if string.sub(ARGV[2], 1, 9) ~= '{"type":"' then
  return redis.error_reply('ERR publish-event: the body must be an encoded event (it starts with {"type":")')
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'd', ARGV[2])
local payload = '{"event_id":"' .. id .. '",' .. string.sub(ARGV[2], 2)
redis.call('PUBLISH', ARGV[1], payload)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return id
