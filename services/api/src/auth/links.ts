import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Signs and checks download links: HMAC-SHA-256 over the attachment id and the expiry, with a key
 * derived from the token secret (every replica checks every other's links; a new secret revokes
 * every link).
 */
export class LinkSigner {
  private readonly key: Buffer;

  constructor(secret: string | Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'chat4all attachment download links', 32));
  }

  sign(attachmentId: string, expiresUnixSeconds: number): string {
    return createHmac('sha256', this.key).update(`${attachmentId}\n${expiresUnixSeconds}`).digest('base64url');
  }

  /** True when `signature` is this signer's for the id and expiry. */
  check(attachmentId: string, expiresUnixSeconds: number, signature: string): boolean {
    const want = Buffer.from(this.sign(attachmentId, expiresUnixSeconds));
    const got = Buffer.from(signature);
    return got.length === want.length && timingSafeEqual(got, want);
  }
}
