/** @chat4all/core/testing: The contract suites every adapter of a port runs (memory ones in unit tests, real ones against real servers), and the waiting helpers of tests. */
export { sleep, waitFor } from './wait.js';
export { describeAttachmentStore } from './attachment-store-contract.js';
export { type BlobStoreContractOptions, type BlobStoreFactory, blobTestBytes, blobTestChunks, describeBlobStore } from './blob-store-contract.js';
export { type BrokerFactory, describeBroker } from './broker-contract.js';
export { type ConversationChangesFactory, describeConversationChanges } from './conversation-changes-contract.js';
export { type EventLogFactory, describeEventLog } from './event-log-contract.js';
export { type PresenceFactory, describePresence } from './presence-contract.js';
export { describeConversationStore, describeMessageStore, describeUserStore } from './store-contracts.js';
