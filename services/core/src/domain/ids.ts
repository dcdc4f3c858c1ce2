import { createHash, randomBytes } from 'node:crypto';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for a lowercase canonical UUID string (any version). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

function format(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Generates UUIDv7 ids (RFC 9562): 48-bit Unix milliseconds, then a 12-bit counter that keeps ids
 * from one generator strictly increasing within a millisecond (method 1), then 62 random bits.
 * The canonical strings sort lexicographically in creation order, which makes them usable as
 * Cassandra clustering keys and history cursors. Not a singleton: create one per process.
 */
export class UuidV7Generator {
  private lastMs = 0;
  private counter = 0;

  constructor(private readonly now: () => number = Date.now) {}

  next(): string {
    let ms = this.now();
    if (ms <= this.lastMs) {
      ms = this.lastMs;
      this.counter += 1;
      if (this.counter > 0xfff) {
        // Counter exhausted: borrow the next millisecond, which keeps ids increasing.
        ms += 1;
        this.counter = 0;
      }
    } else {
      this.counter = randomBytes(1)[0]! & 0x7f; // a random start leaves room to count up
    }
    this.lastMs = ms;
    const b = randomBytes(16);
    b.writeUIntBE(ms, 0, 6);
    b[6] = 0x70 | (this.counter >> 8);
    b[7] = this.counter & 0xff;
    b[8] = 0x80 | (b[8]! & 0x3f);
    return format(b);
  }
}

/** The Unix milliseconds encoded in a UUIDv7. */
export function uuidV7Time(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/**
 * The id of the direct conversation between two users: a name-based UUID (version 8, SHA-256)
 * of the sorted pair, so that creating it twice, even concurrently on two api replicas, lands on
 * one conversation.
 */
export function directConversationId(userA: string, userB: string): string {
  const [x, y] = userA < userB ? [userA, userB] : [userB, userA];
  const b = createHash('sha256').update(`chat4all:direct:${x}:${y}`).digest().subarray(0, 16);
  b[6] = 0x80 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  return format(Buffer.from(b));
}

/** A random id for connections and the like (not time-ordered). */
export function randomId(): string {
  return randomBytes(9).toString('base64url');
}
