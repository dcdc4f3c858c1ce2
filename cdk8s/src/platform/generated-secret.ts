import { randomBytes } from 'node:crypto';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { componentLabels } from '../common/labels.js';
import { check, checkName } from '../common/validate.js';

/** Annotation telling `make deploy` to create the Secret once and never overwrite it. */
export const CREATE_ONLY_ANNOTATION = 'chat4all.io/create-only';

export interface GeneratedSecretProps {
  /** Name of the Secret. */
  readonly name: string;
  /** The keys, each with how many random bytes its value has (base64url-encoded). */
  readonly keys: Readonly<Record<string, number>>;
}

/**
 * A Secret whose values are random bytes drawn when the app is synthesized, so no secret is ever
 * a literal in the repository (dist/ is not committed). It is annotated create-only: `make deploy`
 * runs `kubectl create` for it when it is missing and never replaces it, so a redeploy does not
 * rotate the key (which would log every user out). The Helm chart does the same with `lookup`.
 */
export class GeneratedSecret extends Construct {
  readonly secret: kplus.Secret;
  readonly name: string;

  constructor(scope: Construct, id: string, props: GeneratedSecretProps) {
    super(scope, id);
    this.name = checkName(this, 'name', props.name);
    check(this, Object.keys(props.keys).length > 0, 'keys', 'must name at least one key');
    const stringData: Record<string, string> = {};
    for (const [key, bytes] of Object.entries(props.keys)) {
      check(this, /^[-._a-zA-Z0-9]+$/.test(key), 'keys', `has an invalid key ${JSON.stringify(key)}`);
      check(this, Number.isInteger(bytes) && bytes >= 16 && bytes <= 1024, `keys.${key}`, `must be between 16 and 1024 bytes, got ${bytes}`);
      stringData[key] = randomBytes(bytes).toString('base64url');
    }
    this.secret = new kplus.Secret(this, 'Resource', {
      metadata: { name: this.name, labels: componentLabels(this.name, 'secret'), annotations: { [CREATE_ONLY_ANNOTATION]: 'true' } },
      stringData,
    });
  }
}
