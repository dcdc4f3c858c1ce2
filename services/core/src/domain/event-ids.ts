/**
 * Event ids are `<unix ms>-<sequence>` (the shape of Redis stream ids), assigned per user by the
 * broker and increasing within one user's history. Clients treat them as opaque strings.
 */
const EVENT_ID_RE = /^(\d{1,15})-(\d{1,15})$/;

export function isEventId(value: unknown): value is string {
  return typeof value === 'string' && EVENT_ID_RE.test(value);
}

/** Negative, zero or positive as `a` is before, equal to or after `b`. Both must be event ids. */
export function compareEventIds(a: string, b: string): number {
  const ma = EVENT_ID_RE.exec(a);
  const mb = EVENT_ID_RE.exec(b);
  if (!ma || !mb) throw new TypeError(`not event ids: ${a}, ${b}`);
  const d = Number(ma[1]) - Number(mb[1]);
  return d !== 0 ? d : Number(ma[2]) - Number(mb[2]);
}

/** The publish time (Unix ms) an event id carries. */
export function eventIdTime(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}
