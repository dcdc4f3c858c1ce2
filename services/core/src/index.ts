/** @chat4all/core: The domain: errors, ids, event ids, the model, backend health, the ports (interfaces only), the checks of the blob port and the use cases shared by the api, the worker and the gateway. */
export { Chat4AllError, type Chat4AllErrorOptions, type ErrorDetail, type ErrorKind, conflict, forbidden, invalid, isChat4AllError, notFound, unauthenticated, unavailable } from './domain/errors.js';
export { UuidV7Generator, directConversationId, isUuid, randomId, uuidV7Time } from './domain/ids.js';
export { compareEventIds, eventIdTime, isEventId } from './domain/event-ids.js';
export { type Attachment, type AttachmentRef, type Conversation, type ConversationType, type Message, type MessageStatus, type Receipt, type User, type UserRecord, statusAfter } from './domain/model.js';
export type { Backend, BackendHealth } from './domain/health.js';
export type { AttachmentStore } from './ports/attachment-store.js';
export type { BlobExpectation, BlobInfo, BlobObject, BlobStore } from './ports/blob-store.js';
export type { Broker, BrokerListener, EphemeralDelivery, EventDelivery, HistoryResult, HistoryRetention } from './ports/broker.js';
export type { ConversationChangeListener, ConversationChanges } from './ports/conversation-changes.js';
export type { ConversationStore } from './ports/conversation-store.js';
export type { AppendRecord, ConsumeOptions, Consumer, ConsumerLag, EventLog, LogRecord } from './ports/event-log.js';
export type { ClientMessageClaim, HistoryPage, MessageStore, ReceiptChange } from './ports/message-store.js';
export type { Presence, PresenceChange, PresenceConnection } from './ports/presence.js';
export type { UserStore } from './ports/user-store.js';
export { BodyMeter, blobKeyProblem, blobStoreFull, blobTooLarge, checkBlobPut } from './blobs/blob-checks.js';
export { type MarkReadDeps, type ReadResult, markRead } from './use-cases/mark-read.js';
export { type SendAttempt, type SendDecision, type SendDecisionDeps, type SendDecisionOptions, type SendRefusal, type SendVerdict, decideSend, sendRefusal, sendRefused } from './use-cases/send-message.js';
