import { isChat4AllError, invalid, notFound } from '../domain/errors.js';
import type { ClientMessageClaim, MessageStore } from '../ports/message-store.js';

/**
 * Who may send to a conversation, and whether a message is the first of its send (its
 * client_message_id): decided here, and only here, for the api and the worker alike.
 *
 * Both sides call decideSend, and neither trusts the other's verdict:
 * - the api when it accepts a send, so that bad input (not a member, an id reused for another
 *   message) gets its clear error before anything is claimed or appended;
 * - the worker before it stores a record, against the members it reads from the store then, so a
 *   stale record (the sender left after the api accepted it) or a record the api never wrote is
 *   refused and changes nothing.
 *
 * The order is part of the rule: membership first, then the caller's own checks (`beforeClaim`),
 * and only then the claim, so a refused send claims nothing. A claim is atomic in the store
 * (concurrent claims agree on one winner) and a repeated claim of the winner answers the winner,
 * so the api's claim and the worker's later one agree.
 */

/** One attempt to send a message. */
export interface SendAttempt {
  sender_id: string;
  conversation_id: string;
  client_message_id?: string;
  /** The message this attempt would be (a new id and time at the api; the record's at the worker). */
  candidate: ClientMessageClaim;
}

export interface SendDecisionDeps {
  /** The conversation's members, undefined when there is no such conversation. */
  members: (conversationId: string) => Promise<readonly string[] | undefined>;
  messages: Pick<MessageStore, 'claimClientMessageId'>;
}

/** Why a send was refused before anything was claimed. */
export type SendRefusal = 'no_conversation' | 'not_member';

export interface SendDecisionOptions {
  /** Further checks of the caller's that must pass before the client_message_id is claimed. */
  beforeClaim?: (members: readonly string[]) => Promise<void>;
  /**
   * When the store cannot claim now (`unavailable`), go on with the candidate unclaimed: whoever
   * stores the message must then claim it (the worker does). Otherwise the error is thrown.
   * @default false
   */
  deferClaimWhenUnavailable?: boolean;
  /** The error a refusal throws. @default sendRefused */
  refuse?: (why: SendRefusal, conversationId: string) => Error;
}

/**
 * - `accept`: the send is this message (no client_message_id, or its claim names the candidate).
 * - `repeat`: the client_message_id names an earlier message of the same conversation: a retry
 *   of that send, which must store nothing new.
 * - `reused`: it names an earlier message of another conversation.
 */
export type SendVerdict = 'accept' | 'repeat' | 'reused';

export interface SendDecision {
  verdict: SendVerdict;
  /** The message the send is: the candidate when accepted, else the one claimed first. */
  claim: ClientMessageClaim;
  /** The conversation's members as read for the decision. */
  members: readonly string[];
  /** False when the claim was deferred (the store was unavailable). */
  claimed: boolean;
}

/** The default refusals (what the worker dead-letters with). */
export function sendRefused(why: SendRefusal, conversationId: string): Error {
  return why === 'no_conversation'
    ? notFound('conversation_not_found', `conversation ${conversationId} does not exist`)
    : invalid('sender_not_member', 'the sender is not a member of the conversation');
}

/** Whether `senderId` may send to a conversation with `members` (undefined: no such conversation). */
export function sendRefusal(members: readonly string[] | undefined, senderId: string): SendRefusal | undefined {
  if (!members) return 'no_conversation';
  return members.includes(senderId) ? undefined : 'not_member';
}

/** Decides a send (see the module's comment); throws a refusal, the caller's check's error, or the store's. */
export async function decideSend(deps: SendDecisionDeps, attempt: SendAttempt, options: SendDecisionOptions = {}): Promise<SendDecision> {
  const members = await deps.members(attempt.conversation_id);
  const refusal = sendRefusal(members, attempt.sender_id);
  if (refusal !== undefined) throw (options.refuse ?? sendRefused)(refusal, attempt.conversation_id);
  const known = members!;
  await options.beforeClaim?.(known);
  const cmid = attempt.client_message_id;
  if (cmid === undefined) return { verdict: 'accept', claim: attempt.candidate, members: known, claimed: true };
  let claim: ClientMessageClaim;
  try {
    claim = await deps.messages.claimClientMessageId(attempt.sender_id, cmid, attempt.candidate);
  } catch (err) {
    if (options.deferClaimWhenUnavailable && isChat4AllError(err, 'unavailable')) return { verdict: 'accept', claim: attempt.candidate, members: known, claimed: false };
    throw err;
  }
  const verdict: SendVerdict =
    claim.message_id === attempt.candidate.message_id ? 'accept' : claim.conversation_id === attempt.conversation_id ? 'repeat' : 'reused';
  return { verdict, claim, members: known, claimed: true };
}
