export { parseS3Options, type S3Env, type S3Options } from './s3-options.js';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
