export { WebSocketGateway, type GatewayOptions } from './gateway.js';
export { CLOSE } from './connection.js';
export { GatewayMetrics } from './metrics.js';
