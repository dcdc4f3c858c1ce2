import type { Construct } from 'constructs';

/** The range a whole-number prop must fall in, as checkInt states it. */
export interface IntBounds {
  readonly minimum: number;
  readonly maximum: number;
}

/**
 * Thrown by a construct whose props are wrong; the message names the construct path and the prop.
 * `scopePath` and `prop` say the same for programs (the Helm chart generator learns the chart's
 * validation from them), and `bounds` the range when a whole number was out of it.
 */
export class PropsError extends Error {
  override readonly name = 'PropsError';
  readonly code = 'invalid_props';
  readonly scopePath: string;
  readonly prop: string;
  readonly bounds: IntBounds | undefined;

  constructor(scopePath: string, prop: string, message: string, bounds?: IntBounds) {
    super(`${scopePath}: ${prop} ${message}`);
    this.scopePath = scopePath;
    this.prop = prop;
    this.bounds = bounds;
  }
}

function fail(scope: Construct, prop: string, message: string, bounds?: IntBounds): never {
  throw new PropsError(scope.node.path, prop, message, bounds);
}

/** A whole number within [min, max]. */
export function checkInt(scope: Construct, prop: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) fail(scope, prop, `must be a whole number between ${min} and ${max}, got ${value}`, { minimum: min, maximum: max });
  return value;
}

/** A DNS-1123 label (names of objects, services and containers). */
export function checkName(scope: Construct, prop: string, value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) fail(scope, prop, `must be a DNS-1123 label (lower case letters, digits and '-', at most 63), got ${JSON.stringify(value)}`);
  return value;
}

/** A DNS-1123 subdomain (host names, storage class names). */
export function checkHost(scope: Construct, prop: string, value: string): string {
  if (value.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(value)) fail(scope, prop, `must be a DNS-1123 subdomain, got ${JSON.stringify(value)}`);
  return value;
}

/** A container image reference: `[registry/]repository[:tag][@digest]`, no spaces. */
export function checkImage(scope: Construct, prop: string, value: string): string {
  if (!/^[a-z0-9][a-z0-9._\-/:@]*$/i.test(value) || value.endsWith(':') || value.includes('//')) fail(scope, prop, `must be an image reference like registry/name:tag, got ${JSON.stringify(value)}`);
  return value;
}

/** Passes when `ok`, else fails with the message. */
export function check(scope: Construct, ok: boolean, prop: string, message: string): void {
  if (!ok) fail(scope, prop, message);
}
