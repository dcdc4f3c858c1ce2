/**
 * What the CLI shows of the gateway's frames. The frames themselves are @chat4all/contract's; the
 * one addition is the CLI's own: a message read over HTTP after a gap is shown as a `new_message`
 * marked `catch_up`, without an event_id (the server never sets either way round).
 */
import type { MessageStatusEvent, NewMessageEvent, PresenceFrame, TypingFrame } from '@chat4all/contract';

export type NewMessageFrame = Omit<NewMessageEvent, 'event_id'> & { event_id?: string; catch_up?: true };

/** A receipt as shown: its event_id only matters to deduplication, which happens before. */
export type MessageStatusFrame = Omit<MessageStatusEvent, 'event_id'> & { event_id?: string };

/** The frames a client shows: what the server pushes about messages and people. */
export type NotificationFrame = NewMessageFrame | MessageStatusFrame | TypingFrame | PresenceFrame;
