/** @chat4all/cli: the `chat4all` command, and its pieces for programs that want them. */
export { main } from './main.js';
export { ApiClient, type ApiClientOptions } from './api-client.js';
export { NotificationClient, CloseCode, notificationsUrl, type ConnectionEvent, type NotificationClientOptions } from './notifications.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { CliError, isCliError, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
export type * from './frames.js';
export type {
  Attachment,
  AttachmentLink,
  AttachmentRef,
  ClientFrame,
  ConnectedFrame,
  Conversation,
  ErrorFrame,
  HistoryPage,
  Member,
  Message,
  MessageStatus,
  PongFrame,
  PresenceFrame,
  ServerFrame,
  TypingFrame,
  User,
} from '@chat4all/contract';
