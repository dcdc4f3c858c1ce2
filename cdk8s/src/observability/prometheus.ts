import { Duration, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { componentLabels, selectorLabels, PART_OF } from '../common/labels.js';
import { type ResourceSpec, checkResources, toContainerResources } from '../common/resources.js';
import { checkHost, checkImage, checkInt, checkName } from '../common/validate.js';
import { HARDENED_CONTAINER, addEphemeralStorage, hardenPodTemplate, selectByLabels } from '../common/workload.js';
import { RUN_AS } from '../common/kube.js';
import { imageOf } from '../images.js';

export const PROMETHEUS_PORT = 9090;

export interface PrometheusProps {
  /** @default 'chat4all-prometheus' */
  readonly name?: string;
  /** Prometheus 3, built with the Kubernetes service discovery. @default PROMETHEUS_IMAGE of images/catalog.env */
  readonly image?: string;
  /** How often every role is scraped, seconds. @default 15 */
  readonly scrapeIntervalSeconds?: number;
  /** How long samples are kept, days. @default 7 */
  readonly retentionDays?: number;
  /** Size of the data volume, GiB. @default 10 */
  readonly storageGi?: number;
  /** StorageClass of the data volume. @default the cluster's default class */
  readonly storageClassName?: string;
  /** @default 200m-1000m CPU, 512-1024 MiB */
  readonly resources?: ResourceSpec;
}

/**
 * The scrape configuration: every pod of this namespace that is part of Chat4All and annotated
 * `prometheus.io/scrape: "true"`, at its `prometheus.io/port` and `prometheus.io/path`, with the
 * labels `role` (app.kubernetes.io/component: api, worker, gateway, operator), `pod` and `namespace`.
 */
export function prometheusConfig(scrapeIntervalSeconds: number): string {
  const meta = '__meta_kubernetes_pod';
  return Yaml.stringify({
    global: { scrape_interval: `${scrapeIntervalSeconds}s`, evaluation_interval: `${scrapeIntervalSeconds}s` },
    scrape_configs: [
      {
        job_name: PART_OF,
        kubernetes_sd_configs: [{ role: 'pod', namespaces: { own_namespace: true } }],
        relabel_configs: [
          { source_labels: [`${meta}_annotation_prometheus_io_scrape`], action: 'keep', regex: 'true' },
          { source_labels: [`${meta}_label_app_kubernetes_io_part_of`], action: 'keep', regex: PART_OF },
          // A pod with several ports is discovered once per port; all become the same target.
          { source_labels: ['__address__', `${meta}_annotation_prometheus_io_port`], action: 'replace', regex: '([^:]+)(?::\\d+)?;(\\d+)', replacement: '$1:$2', target_label: '__address__' },
          { source_labels: [`${meta}_annotation_prometheus_io_path`], action: 'replace', regex: '(.+)', target_label: '__metrics_path__' },
          { source_labels: [`${meta}_label_app_kubernetes_io_component`], target_label: 'role' },
          { source_labels: [`${meta}_name`], target_label: 'pod' },
          { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
        ],
      },
      { job_name: 'prometheus', static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`] }] },
    ],
  });
}

/**
 * Prometheus for the platform: pod discovery in its own namespace only (a namespaced Role that
 * may list pods, nothing more), a persistent data volume, the hardened pod of every Chat4All
 * workload, and a Service Grafana queries.
 */
export class Prometheus extends Construct {
  readonly name: string;
  readonly service: kplus.Service;
  readonly deployment: kplus.Deployment;

  constructor(scope: Construct, id: string, props: PrometheusProps = {}) {
    super(scope, id);
    this.name = checkName(this, 'name', props.name ?? 'chat4all-prometheus');
    const image = checkImage(this, 'image', props.image ?? imageOf('PROMETHEUS_IMAGE'));
    const interval = checkInt(this, 'scrapeIntervalSeconds', props.scrapeIntervalSeconds ?? 15, 1, 3600);
    const retention = checkInt(this, 'retentionDays', props.retentionDays ?? 7, 1, 3650);
    const storageGi = checkInt(this, 'storageGi', props.storageGi ?? 10, 1, 65_536);
    if (props.storageClassName !== undefined) checkHost(this, 'storageClassName', props.storageClassName);
    const resources = checkResources(this, 'resources', props.resources ?? { cpuMillis: { request: 200, limit: 1000 }, memoryMiB: { request: 512, limit: 1024 } });
    const labels = componentLabels(this.name, 'prometheus');
    const selector = selectorLabels(this.name);

    const account = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata: { name: this.name, labels }, automountToken: true });
    const role = new kplus.Role(this, 'Role', { metadata: { name: this.name, labels } });
    role.allowRead(kplus.ApiResource.PODS);
    const binding = new kplus.RoleBinding(this, 'RoleBinding', { metadata: { name: this.name, labels }, role });
    binding.addSubjects(account);

    const config = new kplus.ConfigMap(this, 'Config', { metadata: { name: `${this.name}-config`, labels }, data: { 'prometheus.yml': prometheusConfig(interval) } });
    const claim = new kplus.PersistentVolumeClaim(this, 'Data', {
      metadata: { name: `${this.name}-data`, labels },
      accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
      storage: Size.gibibytes(storageGi),
      ...(props.storageClassName ? { storageClassName: props.storageClassName } : {}),
    });
    const configVolume = kplus.Volume.fromConfigMap(this, 'ConfigVolume', config, { name: 'config' });
    const dataVolume = kplus.Volume.fromPersistentVolumeClaim(this, 'DataVolume', claim, { name: 'data' });

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: this.name, labels },
      select: false,
      replicas: 1,
      // One writer per volume: stop the old pod before the new one mounts it.
      strategy: kplus.DeploymentStrategy.recreate(),
      serviceAccount: account,
      automountServiceAccountToken: true,
      securityContext: { ensureNonRoot: true, user: RUN_AS, group: RUN_AS, fsGroup: RUN_AS },
      volumes: [configVolume, dataVolume],
      containers: [
        {
          name: 'prometheus',
          image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus', `--storage.tsdb.retention.time=${retention}d`],
          ports: [{ number: PROMETHEUS_PORT, name: 'http' }],
          volumeMounts: [
            { path: '/etc/prometheus', volume: configVolume, readOnly: true },
            { path: '/prometheus', volume: dataVolume },
          ],
          resources: toContainerResources(resources),
          securityContext: { ...HARDENED_CONTAINER, user: RUN_AS, group: RUN_AS },
          readiness: kplus.Probe.fromHttpGet('/-/ready', { port: PROMETHEUS_PORT, periodSeconds: Duration.seconds(10) }),
          liveness: kplus.Probe.fromHttpGet('/-/healthy', { port: PROMETHEUS_PORT, periodSeconds: Duration.seconds(15), failureThreshold: 4 }),
        },
      ],
    });
    selectByLabels(this.deployment, selector, labels);
    hardenPodTemplate(this.deployment);
    addEphemeralStorage(this.deployment, 0, resources);

    this.service = new kplus.Service(this, 'Service', { metadata: { name: this.name, labels }, ports: [{ name: 'http', port: PROMETHEUS_PORT, targetPort: PROMETHEUS_PORT }] });
    for (const [k, v] of Object.entries(selector)) this.service.selectLabel(k, v);
  }

  /** The in-cluster URL of the Prometheus HTTP API. */
  get url(): string {
    return `http://${this.name}:${PROMETHEUS_PORT}`;
  }
}
