export * from './wait.js';
export * from './event-log-contract.js';
export * from './broker-contract.js';
export * from './presence-contract.js';
export * from './store-contracts.js';
export * from './conversation-changes-contract.js';
export * from './blob-store-contract.js';
export * from './attachment-store-contract.js';
