import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { GeneratedSecret } from '../platform/generated-secret.js';
import type { ObjectStoreCredentials } from '../infrastructure/object-store.js';
import type { SecretKeyRef } from '../platform/server-workload.js';

export interface SecretsChartProps extends ChartProps {
  /** @default 'chat4all-jwt' */
  readonly jwtSecretName?: string;
  /** @default 'chat4all-grafana' */
  readonly grafanaSecretName?: string;
  /** @default 'chat4all-objectstore' */
  readonly objectStoreSecretName?: string;
}

/**
 * Secrets generated at synth time and created once by `make deploy` (never replaced): the JWT key
 * shared by the api and the gateways, Grafana's admin password, and the object store's account
 * (the store and the api read the same keys).
 */
export class SecretsChart extends Chart {
  readonly jwt: SecretKeyRef;
  readonly grafanaAdmin: SecretKeyRef;
  readonly objectStore: ObjectStoreCredentials;

  constructor(scope: Construct, id: string, props: SecretsChartProps = {}) {
    super(scope, id, props);
    const jwt = new GeneratedSecret(this, 'Jwt', { name: props.jwtSecretName ?? 'chat4all-jwt', keys: { JWT_SECRET: 48 } });
    const grafana = new GeneratedSecret(this, 'Grafana', { name: props.grafanaSecretName ?? 'chat4all-grafana', keys: { 'admin-password': 24 } });
    this.jwt = { name: jwt.name, key: 'JWT_SECRET' };
    this.grafanaAdmin = { name: grafana.name, key: 'admin-password' };
    const objectStore = new GeneratedSecret(this, 'ObjectStore', {
      name: props.objectStoreSecretName ?? 'chat4all-objectstore',
      keys: { S3_ACCESS_KEY_ID: 16, S3_SECRET_ACCESS_KEY: 32 },
    });
    this.objectStore = { accessKeyId: { name: objectStore.name, key: 'S3_ACCESS_KEY_ID' }, secretAccessKey: { name: objectStore.name, key: 'S3_SECRET_ACCESS_KEY' } };
  }
}
