import type { ConnectionEvent } from './notifications.js';

/** A status line for people: `warn` when notifications stop flowing, `ok` when they are back. */
export interface StatusLine {
  tone: 'info' | 'warn' | 'ok';
  text: string;
}

/**
 * The status lines of a live feed. A feed that goes offline says so once, whatever the number of
 * attempts that follow, and once more when it is back (with how long it was away): a gateway that
 * stays down for a minute costs two lines, not one per retry.
 */
export class ConnectionStatus {
  private offlineSince: number | undefined;
  private connectedOnce = false;

  constructor(
    /** Whose notifications these are, for the first `connected` line. */
    private readonly username: string,
    private readonly gatewayUrl: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while the feed is offline (between a lost connection and the next `connected`). */
  get offline(): boolean {
    return this.offlineSince !== undefined;
  }

  /** The line to show for `event`, if any. */
  line(event: ConnectionEvent): StatusLine | undefined {
    switch (event.type) {
      case 'connected': {
        const away = this.offlineFor();
        const first = !this.connectedOnce;
        this.connectedOnce = true;
        this.offlineSince = undefined;
        if (first) return { tone: 'info', text: `connected: notifications for ${this.username} will appear here` };
        return { tone: 'ok', text: `back online${away}` };
      }
      case 'reconnecting': {
        if (this.offlineSince !== undefined) return undefined;
        this.offlineSince = this.now();
        if (!this.connectedOnce) return { tone: 'warn', text: `cannot reach the notifications gateway at ${this.gatewayUrl} (${event.reason}); trying again until it answers…` };
        return { tone: 'warn', text: `notifications offline: ${event.reason}; reconnecting…` };
      }
      default:
        return undefined;
    }
  }

  private offlineFor(): string {
    if (this.offlineSince === undefined) return '';
    const seconds = Math.round((this.now() - this.offlineSince) / 1000);
    return seconds >= 1 ? ` after ${seconds}s offline` : '';
  }
}
