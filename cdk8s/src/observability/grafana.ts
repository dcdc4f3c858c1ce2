import { Duration, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { dashboardFiles } from '../dashboards/index.js';
import { PROMETHEUS_UID } from '../dashboards/dashboard.js';
import { componentLabels, selectorLabels } from '../common/labels.js';
import { type ResourceSpec, checkResources, toContainerResources } from '../common/resources.js';
import { checkImage, checkName } from '../common/validate.js';
import { RUN_AS } from '../common/kube.js';
import { HARDENED_CONTAINER, addEphemeralStorage, hardenPodTemplate, selectByLabels } from '../common/workload.js';
import type { SecretKeyRef } from '../platform/server-workload.js';

export const GRAFANA_PORT = 3000;
/** Where the dashboards ConfigMap is mounted and the file provider reads. */
export const DASHBOARDS_DIR = '/var/lib/grafana-dashboards';

export interface GrafanaProps {
  /** URL of the Prometheus HTTP API (Prometheus.url). */
  readonly prometheusUrl: string;
  /** The Secret key holding the admin password (SecretsChart.grafanaAdmin). */
  readonly adminPassword: SecretKeyRef;
  /** @default 'chat4all-grafana' */
  readonly name?: string;
  /** @default 'grafana/grafana:11.3.0' */
  readonly image?: string;
  /** Let anyone who reaches Grafana view the dashboards without logging in. @default true */
  readonly anonymousViewers?: boolean;
  /** @default 100m-500m CPU, 128-256 MiB */
  readonly resources?: ResourceSpec;
}

/** Grafana's provisioning files: the Prometheus data source and the dashboards' file provider. */
export function grafanaProvisioning(prometheusUrl: string): { datasources: string; providers: string } {
  return {
    datasources: Yaml.stringify({
      apiVersion: 1,
      datasources: [{ name: 'Prometheus', uid: PROMETHEUS_UID, type: 'prometheus', access: 'proxy', url: prometheusUrl, isDefault: true, editable: false }],
    }),
    providers: Yaml.stringify({
      apiVersion: 1,
      providers: [{ name: 'chat4all', folder: 'Chat4All', type: 'file', disableDeletion: true, allowUiUpdates: false, updateIntervalSeconds: 30, options: { path: DASHBOARDS_DIR } }],
    }),
  };
}

/**
 * Grafana with everything provisioned from ConfigMaps: the Prometheus data source and the
 * Chat4All dashboards (gateway, message pipeline, operator), read-only in the UI. State lives in
 * an emptyDir: dashboards and data sources come back from the ConfigMaps on every start.
 */
export class Grafana extends Construct {
  readonly name: string;
  readonly service: kplus.Service;
  readonly dashboards: kplus.ConfigMap;

  constructor(scope: Construct, id: string, props: GrafanaProps) {
    super(scope, id);
    this.name = checkName(this, 'name', props.name ?? 'chat4all-grafana');
    const image = checkImage(this, 'image', props.image ?? 'grafana/grafana:11.3.0');
    const resources = checkResources(this, 'resources', props.resources ?? { cpuMillis: { request: 100, limit: 500 }, memoryMiB: { request: 128, limit: 256 } });
    const labels = componentLabels(this.name, 'grafana');
    const selector = selectorLabels(this.name);
    const files = grafanaProvisioning(props.prometheusUrl);

    const datasources = new kplus.ConfigMap(this, 'Datasources', { metadata: { name: `${this.name}-datasources`, labels }, data: { 'prometheus.yaml': files.datasources } });
    const providers = new kplus.ConfigMap(this, 'Providers', { metadata: { name: `${this.name}-dashboard-providers`, labels }, data: { 'chat4all.yaml': files.providers } });
    this.dashboards = new kplus.ConfigMap(this, 'Dashboards', { metadata: { name: `${this.name}-dashboards`, labels }, data: dashboardFiles() });

    const volumes = {
      datasources: kplus.Volume.fromConfigMap(this, 'DatasourcesVolume', datasources, { name: 'datasources' }),
      providers: kplus.Volume.fromConfigMap(this, 'ProvidersVolume', providers, { name: 'dashboard-providers' }),
      dashboards: kplus.Volume.fromConfigMap(this, 'DashboardsVolume', this.dashboards, { name: 'dashboards' }),
      data: kplus.Volume.fromEmptyDir(this, 'DataVolume', 'data', { sizeLimit: Size.mebibytes(512) }),
      tmp: kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: Size.mebibytes(64) }),
    };
    const secret = kplus.Secret.fromSecretName(this, 'Admin', props.adminPassword.name);
    const deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: this.name, labels },
      select: false,
      replicas: 1,
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: RUN_AS, group: RUN_AS, fsGroup: RUN_AS },
      volumes: Object.values(volumes),
      containers: [
        {
          name: 'grafana',
          image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          ports: [{ number: GRAFANA_PORT, name: 'http' }],
          envVariables: {
            GF_SECURITY_ADMIN_USER: kplus.EnvValue.fromValue('admin'),
            GF_SECURITY_ADMIN_PASSWORD: kplus.EnvValue.fromSecretValue({ secret, key: props.adminPassword.key }),
            GF_AUTH_ANONYMOUS_ENABLED: kplus.EnvValue.fromValue(String(props.anonymousViewers ?? true)),
            GF_AUTH_ANONYMOUS_ORG_ROLE: kplus.EnvValue.fromValue('Viewer'),
            GF_USERS_ALLOW_SIGN_UP: kplus.EnvValue.fromValue('false'),
            GF_ANALYTICS_REPORTING_ENABLED: kplus.EnvValue.fromValue('false'),
            GF_ANALYTICS_CHECK_FOR_UPDATES: kplus.EnvValue.fromValue('false'),
            GF_LOG_MODE: kplus.EnvValue.fromValue('console'),
            GF_PATHS_DATA: kplus.EnvValue.fromValue('/var/lib/grafana'),
          },
          volumeMounts: [
            { path: '/etc/grafana/provisioning/datasources', volume: volumes.datasources, readOnly: true },
            { path: '/etc/grafana/provisioning/dashboards', volume: volumes.providers, readOnly: true },
            { path: DASHBOARDS_DIR, volume: volumes.dashboards, readOnly: true },
            { path: '/var/lib/grafana', volume: volumes.data },
            { path: '/tmp', volume: volumes.tmp },
          ],
          resources: toContainerResources(resources),
          securityContext: { ...HARDENED_CONTAINER, user: RUN_AS, group: RUN_AS },
          readiness: kplus.Probe.fromHttpGet('/api/health', { port: GRAFANA_PORT, periodSeconds: Duration.seconds(10) }),
          // Alive: it accepts connections. Ready: its database answers (/api/health).
          liveness: kplus.Probe.fromTcpSocket({ port: GRAFANA_PORT, periodSeconds: Duration.seconds(15), failureThreshold: 4 }),
        },
      ],
    });
    selectByLabels(deployment, selector, labels);
    hardenPodTemplate(deployment);
    addEphemeralStorage(deployment, 0, resources);

    this.service = new kplus.Service(this, 'Service', { metadata: { name: this.name, labels }, ports: [{ name: 'http', port: GRAFANA_PORT, targetPort: GRAFANA_PORT }] });
    for (const [k, v] of Object.entries(selector)) this.service.selectLabel(k, v);
  }
}
