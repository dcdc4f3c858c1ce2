/** @chat4all/cli: the `chat4all` command, and its pieces for programs that want them. */
export { main } from './main.js';
export { ApiClient, type ApiClientOptions } from './api-client.js';
export { NotificationClient, CloseCode, notificationsUrl, type ConnectionEvent, type NotificationClientOptions } from './notifications.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { CliError, isCliError, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
export type * from './wire.js';
