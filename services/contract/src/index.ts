/**
 * @chat4all/contract: the wire of Chat4All in one place. TypeBox schemas and their TypeScript
 * types for every HTTP request and answer, WebSocket frame (both ways), event-log record and
 * broker payload, with the decoders (validate and type, never cast) and encoders of each.
 * Depends on no other package of the repository, so every side (services, CLI) can use it.
 */
export { WireError, orThrow, type Decoded } from './decode.js';
export { MAX_ATTACHMENTS_PER_MESSAGE, MAX_CONTENT_BYTES, MAX_MEMBERS, MessageStatus, Time, malformedTextPath } from './primitives.js';
export {
  AttachmentRef,
  Content,
  MessageRecord,
  ReceiptRecord,
  TOPIC_DEAD_LETTER,
  TOPIC_MESSAGES,
  TOPIC_RECEIPTS,
  decodeMessageRecord,
  decodeReceiptRecord,
  encodeRecord,
} from './records.js';
export {
  AuthFrame,
  ConnectedFrame,
  ErrorFrame,
  MAX_CLIENT_FRAME_BYTES,
  MAX_SERVER_FRAME_BYTES,
  MessageStatusBody,
  MessageStatusEvent,
  NewMessageBody,
  NewMessageEvent,
  PingFrame,
  PongFrame,
  PresenceFrame,
  ReadRequest,
  TypingFrame,
  TypingRequest,
  decodeClientFrame,
  decodeServerFrame,
  encodeEventBody,
  eventPayload,
  type ClientFrame,
  type EphemeralFrame,
  type EventBody,
  type EventFrame,
  type ServerFrame,
} from './frames.js';
export { decodeNotification, isEvent, type Notification } from './notification.js';
export {
  AddMemberBody,
  Attachment,
  AttachmentIdParams,
  AttachmentLink,
  Conversation,
  CreateAttachmentBody,
  CreateConversationBody,
  DownloadQuery,
  ErrorBody,
  HistoryPage,
  HistoryQuery,
  IdParams,
  ListConversationsQuery,
  Member,
  MemberParams,
  Message,
  MessageIdParams,
  PublicUser,
  ReadAnswer,
  Readiness,
  RegisterBody,
  SendAnswer,
  SendMessageBody,
  TokenAnswer,
  TokenBody,
  User,
  UsernameParams,
  type ErrorDetail,
} from './http.js';
export { ROUTES, type Answer, type Method, type OperationId, type Route, type RouteSchema } from './routes.js';
export { buildOpenApiDocument } from './openapi.js';
