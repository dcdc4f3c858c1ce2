/** Where the S3 blob store is and how to reach it. */
export interface S3Options {
  /** The object store's URL, e.g. `http://objectstore:7070`. Buckets are addressed by path. */
  endpoint: string;
  /** The bucket that holds the blobs; created at start when missing. */
  bucket: string;
  /** @default 'us-east-1' */
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** What the environment can set. */
export interface S3Env {
  /** The object store's URL. Unset or empty: no object store (the embedded blob store). */
  S3_ENDPOINT?: string;
  /** @default chat4all-attachments */
  S3_BUCKET?: string;
  /** @default us-east-1 */
  S3_REGION?: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
}

/** Bucket names S3 accepts everywhere: 3 to 63 of a-z, 0-9, `-`, starting and ending with a letter or digit. */
const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * Reads the object store's settings. Returns `undefined` when `S3_ENDPOINT` is unset or empty;
 * throws an Error naming the variable at fault otherwise.
 *
 * @example parseS3Options({ S3_ENDPOINT: 'http://objectstore:7070', S3_ACCESS_KEY_ID: 'chat4all', S3_SECRET_ACCESS_KEY: '...' })
 */
export function parseS3Options(env: S3Env): S3Options | undefined {
  const endpoint = env.S3_ENDPOINT?.trim();
  if (!endpoint) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`S3_ENDPOINT must be a URL such as http://objectstore:7070, got ${JSON.stringify(endpoint)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`S3_ENDPOINT must be an http or https URL, got ${JSON.stringify(endpoint)}`);
  const bucket = env.S3_BUCKET?.trim() || 'chat4all-attachments';
  if (!BUCKET.test(bucket)) throw new Error(`S3_BUCKET must be 3 to 63 of a-z, 0-9 and "-", got ${JSON.stringify(bucket)}`);
  const accessKeyId = env.S3_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.S3_SECRET_ACCESS_KEY?.trim();
  if (!accessKeyId) throw new Error('S3_ACCESS_KEY_ID is required with S3_ENDPOINT');
  if (!secretAccessKey) throw new Error('S3_SECRET_ACCESS_KEY is required with S3_ENDPOINT');
  return { endpoint: url.toString().replace(/\/$/, ''), bucket, region: env.S3_REGION?.trim() || 'us-east-1', accessKeyId, secretAccessKey };
}
