import type { CliError, NextStep } from './errors.js';

/**
 * What to do next, in the words of the face the user is looking at: the subcommands name shell
 * commands (`chat4all login ana`), the interactive menu names its choices (`choose 2`).
 */
export interface Advice {
  /** The words for a NextStep carried by an error. */
  step(next: NextStep): string;
  /** Where to start a conversation when there is none. */
  openConversation(): string;
  /** Where to read a conversation's messages. */
  history(conversationId?: string): string;
}

export const shellAdvice: Advice = {
  step(next) {
    switch (next.do) {
      case 'log_in':
        return 'run `chat4all login <username>` first';
      case 'log_in_again':
        return `log in again with \`chat4all login ${next.username ?? '<username>'}\``;
      case 'log_in_there':
        return `run \`chat4all login ${next.username}\` to log in there`;
      case 'register_again':
        return `register again with \`chat4all register ${next.username ?? '<username>'}\`, then log in`;
    }
  },
  openConversation: () => 'open one with `chat4all open <username>`',
  history: (conversationId) => `see \`chat4all history ${conversationId ?? '<conversation>'}\``,
};

export const menuAdvice: Advice = {
  step(next) {
    switch (next.do) {
      case 'log_in':
        return 'choose 2 to authenticate (or 1 to register first)';
      case 'log_in_again':
        return 'choose 2 to authenticate again';
      case 'log_in_there':
        return 'choose 2 to authenticate there';
      case 'register_again':
        return 'choose 1 to register again, then 2 to authenticate';
    }
  },
  openConversation: () => 'choose 3 to start one',
  history: () => "choose 6 to see a conversation's messages",
};

/** An error's message, followed by what to do about it when it says. */
export function explain(err: Pick<CliError, 'message' | 'next'>, advice: Advice): string {
  return err.next ? `${err.message}: ${advice.step(err.next)}` : err.message;
}
