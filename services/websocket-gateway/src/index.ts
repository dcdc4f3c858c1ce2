export { WebSocketGateway, DEFAULT_LIMITS, type GatewayOptions, type GatewayLimits } from './gateway.js';
export { CLOSE } from './connection.js';
export { GatewayMetrics } from './metrics.js';
