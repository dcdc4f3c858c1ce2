export { startEmbedded, type Embedded, type EmbeddedOptions } from './embedded.js';
export { startPlatform, type PlatformOptions, type RunningPlatform } from './platform.js';
export { memoryBackends, type Backends } from './backends.js';
export { loadConfig, flagsToEnv, ConfigError, type ServerConfig, type Role } from './config.js';
export { createLogger } from './logger.js';
