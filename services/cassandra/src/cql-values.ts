/** Conversions between the domain's ISO-8601 strings and Cassandra `timestamp` values. */

/** An ISO time as a Date for a `timestamp` column; rejects strings that are not times. */
export function toDate(iso: string): Date {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new TypeError(`not an ISO time: ${JSON.stringify(iso)}`);
  return d;
}

/** A `timestamp` column as an ISO string (undefined when null). */
export function toIso(value: unknown): string | undefined {
  return value instanceof Date ? value.toISOString() : undefined;
}

/** A `timestamp` column that is never null as an ISO string. */
export function requireIso(value: unknown, column: string): string {
  const iso = toIso(value);
  if (iso === undefined) throw new Error(`the ${column} column is null`);
  return iso;
}

/** Microseconds since the epoch, for USING TIMESTAMP. */
export const toMicros = (iso: string): number => toDate(iso).getTime() * 1000;
