/** @chat4all/core/runtime: Helpers of a running process: its configuration from the environment, rate limits, and the bounded caches with the caching decorators of the ports (one per port per process). */
export { ConfigError, type Env, type ShutdownLogger, envChoice, envInt, exitOnSignals } from './process-config.js';
export { KeyedRateLimiter, type RateLimit, TokenBucket } from './rate-limit.js';
export { type BoundOptions, type BoundedMap, BoundedSet, type Defined, boundedMap } from './caching/bounded.js';
export { CachingConversationStore, type ConversationCacheOptions } from './caching/conversation-store.js';
export { ReadThroughCache, type ReadThroughCacheOptions } from './caching/read-through.js';
export { CachingUserStore, type UserCacheOptions } from './caching/user-store.js';
