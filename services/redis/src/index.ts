export { parseRedisOptions, type RedisEnv, type RedisOptions } from './redis-connection.js';
export { RedisBroker, type RedisBrokerOptions } from './redis-broker.js';
export { RedisPresence, type RedisPresenceOptions } from './redis-presence.js';
export { RedisConversationChanges, type RedisConversationChangesOptions } from './redis-conversation-changes.js';
