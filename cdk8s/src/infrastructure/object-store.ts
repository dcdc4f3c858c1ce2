import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { componentLabels, selectorLabels } from '../common/labels.js';
import { type ResourceSpec, checkResources, toKubeResources } from '../common/resources.js';
import { check, checkHost, checkImage, checkInt, checkName } from '../common/validate.js';
import { PodDisruptionBudget } from '../common/workload.js';
import { containerSecurity, dataClaim, scratchVolume, statefulPodSpec } from '../common/kube.js';
import { imageOf } from '../images.js';
import type { SecretKeyRef } from '../platform/server-workload.js';

/** The S3 port of versitygw (its default). */
export const OBJECT_STORE_PORT = 7070;
/** versitygw's health path (`--health`), answered without credentials. */
export const OBJECT_STORE_HEALTH_PATH = '/healthz';

/** The Secret keys of the object store's one account (SecretsChart.objectStore). */
export interface ObjectStoreCredentials {
  readonly accessKeyId: SecretKeyRef;
  readonly secretAccessKey: SecretKeyRef;
}

export interface ObjectStoreProps {
  /** Its account's access key id and secret, from the generated Secret. */
  readonly credentials: ObjectStoreCredentials;
  /** Name of the StatefulSet and its Service; the headless Service is `<name>-headless`. @default 'chat4all-objectstore' */
  readonly name?: string;
  /** versitygw, the image's entrypoint (images.sh: a static binary, user 10001). @default OBJECTSTORE_IMAGE of images/catalog.env */
  readonly image?: string;
  /** The bucket the api keeps attachments in (`S3_BUCKET`); the api creates it at start. @default 'chat4all-attachments' */
  readonly bucket?: string;
  /** Region the store answers as and the api signs for (`S3_REGION`). @default 'us-east-1' */
  readonly region?: string;
  /** Size of the data volume (every attachment's bytes and metadata), GiB. @default 20 */
  readonly storageGi?: number;
  /** StorageClass of the data volume. @default the cluster's default class */
  readonly storageClassName?: string;
  /** @default 100m-1000m CPU, 128-512 MiB */
  readonly resources?: ResourceSpec;
}

/** S3 bucket names: 3 to 63 lowercase letters, digits, dots and hyphens, a letter or digit at each end. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * The object store of attachments: versitygw (an S3-compatible gateway) on its POSIX backend, one
 * pod of a StatefulSet whose volume keeps every object as a file (`/data/objects`) and its metadata
 * beside it (`/data/meta`), so a restarted pod serves what it held. One account, whose keys are
 * the generated Secret's; only the api reaches it (the NetworkPolicies), and it reaches nothing.
 * Alive when it accepts connections, ready when its health path answers.
 */
export class ObjectStore extends Construct {
  readonly name: string;
  readonly headlessServiceName: string;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: ObjectStoreCredentials;
  readonly statefulSet: kplus.k8s.KubeStatefulSet;

  constructor(scope: Construct, id: string, props: ObjectStoreProps) {
    super(scope, id);
    this.name = checkName(this, 'name', props.name ?? 'chat4all-objectstore');
    this.headlessServiceName = `${this.name}-headless`;
    const image = checkImage(this, 'image', props.image ?? imageOf('OBJECTSTORE_IMAGE'));
    this.bucket = props.bucket ?? 'chat4all-attachments';
    check(this, BUCKET.test(this.bucket) && !this.bucket.includes('..'), 'bucket', `must be an S3 bucket name (3 to 63 of a-z, 0-9, '.', '-'), got ${JSON.stringify(this.bucket)}`);
    this.region = props.region ?? 'us-east-1';
    check(this, /^[a-z0-9-]{1,32}$/.test(this.region), 'region', `must be lowercase letters, digits and '-', got ${JSON.stringify(this.region)}`);
    const storageGi = checkInt(this, 'storageGi', props.storageGi ?? 20, 1, 65_536);
    if (props.storageClassName !== undefined) checkHost(this, 'storageClassName', props.storageClassName);
    const resources = checkResources(this, 'resources', props.resources ?? { cpuMillis: { request: 100, limit: 1000 }, memoryMiB: { request: 128, limit: 512 } });
    this.credentials = props.credentials;

    const labels = componentLabels(this.name, 'objectstore');
    const selector = selectorLabels(this.name);
    const port = (name: string): kplus.k8s.ServicePort => ({ name, port: OBJECT_STORE_PORT, targetPort: kplus.k8s.IntOrString.fromNumber(OBJECT_STORE_PORT) });
    new kplus.k8s.KubeService(this, 'Headless', { metadata: { name: this.headlessServiceName, labels }, spec: { clusterIp: 'None', selector, ports: [port('s3')] } });
    new kplus.k8s.KubeService(this, 'Service', { metadata: { name: this.name, labels }, spec: { selector, ports: [port('s3')] } });

    const secretEnv = (name: string, ref: SecretKeyRef): kplus.k8s.EnvVar => ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });
    const http = { port: kplus.k8s.IntOrString.fromNumber(OBJECT_STORE_PORT) };
    this.statefulSet = new kplus.k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: { name: this.name, labels },
      spec: {
        serviceName: this.headlessServiceName,
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            ...statefulPodSpec(selector),
            containers: [
              {
                name: 'versitygw',
                image,
                args: [
                  '--port', `:${OBJECT_STORE_PORT}`,
                  '--health', OBJECT_STORE_HEALTH_PATH,
                  '--region', this.region,
                  '--quiet',
                  'posix', '--sidecar', '/data/meta', '/data/objects',
                ],
                ports: [{ name: 's3', containerPort: OBJECT_STORE_PORT }],
                env: [secretEnv('ROOT_ACCESS_KEY_ID', this.credentials.accessKeyId), secretEnv('ROOT_SECRET_ACCESS_KEY', this.credentials.secretAccessKey)],
                // Two directories of one volume: the kubelet creates them, writable like the volume.
                volumeMounts: [
                  { name: 'data', mountPath: '/data/objects', subPath: 'objects' },
                  { name: 'data', mountPath: '/data/meta', subPath: 'meta' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
                resources: toKubeResources(resources),
                securityContext: containerSecurity(),
                readinessProbe: { httpGet: { ...http, path: OBJECT_STORE_HEALTH_PATH }, periodSeconds: 5, timeoutSeconds: 3 },
                livenessProbe: { tcpSocket: http, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3, initialDelaySeconds: 10 },
              },
            ],
            volumes: [scratchVolume('tmp', 64)],
          },
        },
        volumeClaimTemplates: [dataClaim(storageGi, props.storageClassName)],
      },
    });

    new PodDisruptionBudget(this, 'Pdb', this.name, { selector, labels, maxUnavailable: 1 });
  }

  /** `S3_ENDPOINT` for the api: the Service, by name in the same namespace. */
  get endpoint(): string {
    return `http://${this.name}:${OBJECT_STORE_PORT}`;
  }
}
