export { startEmbedded, type Embedded, type EmbeddedOptions, type ExtraGateway } from './embedded.js';
export { startPlatform, type PlatformOptions, type RunningPlatform, type GatewayTuning } from './platform.js';
export { memoryBackends, type Backends } from './backends.js';
export { selectBackends } from './real-backends.js';
export { loadConfig, flagsToEnv, ConfigError, type ServerConfig, type Role } from './config.js';
export { createLogger } from './logger.js';
