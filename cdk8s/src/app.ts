import { App, type AppProps, YamlOutputType } from 'cdk8s';
import { CrdsChart } from './charts/crds-chart.js';
import { InfrastructureChart, type InfrastructureChartProps } from './charts/infrastructure-chart.js';
import { NetworkChart } from './charts/network-chart.js';
import { ObservabilityChart, type ObservabilityChartProps } from './charts/observability-chart.js';
import { OperatorChart, type OperatorChartProps } from './charts/operator-chart.js';
import { PlatformChart, type PlatformChartProps } from './charts/platform-chart.js';
import { SecretsChart, type SecretsChartProps } from './charts/secrets-chart.js';
import { CQL_PORT, GOSSIP_PORT } from './infrastructure/cassandra-cluster.js';
import { KAFKA_CONTROLLER_PORT, KAFKA_PORT } from './infrastructure/kafka-kraft.js';
import { OBJECT_STORE_PORT } from './infrastructure/object-store.js';
import { REDIS_PORT, SENTINEL_PORT } from './infrastructure/redis-sentinel.js';
import { PROMETHEUS_PORT } from './observability/prometheus.js';
import { OPERATOR_METRICS_PORT } from './operator/chat4all-operator.js';
import { SERVER_PORTS } from './platform/server-workload.js';

/** Everything configurable about the platform, by chart. Each chart's props document their defaults. */
export interface Chat4AllProps {
  readonly secrets?: SecretsChartProps;
  readonly infrastructure?: Omit<InfrastructureChartProps, 'objectStoreCredentials'>;
  readonly platform?: Omit<PlatformChartProps, 'backends' | 'jwtSecret'>;
  readonly observability?: Omit<ObservabilityChartProps, 'grafanaAdminPassword'>;
  readonly operator?: OperatorChartProps;
}

/** The charts of one app, in the order `make deploy` applies their files. */
export interface Chat4AllCharts {
  readonly crds: CrdsChart;
  readonly secrets: SecretsChart;
  readonly infrastructure: InfrastructureChart;
  readonly platform: PlatformChart;
  readonly observability: ObservabilityChart;
  readonly operator: OperatorChart;
  readonly network: NetworkChart;
}

/**
 * Adds Chat4All's charts to `app`, one per concern; each synthesizes to `<id>.k8s.yaml`. Objects
 * carry no namespace: `kubectl -n <ns>` (or Helm's release namespace) decides where they go.
 */
export function addChat4All(app: App, props: Chat4AllProps = {}): Chat4AllCharts {
  const crds = new CrdsChart(app, 'crds');
  const secrets = new SecretsChart(app, 'secrets', props.secrets);
  const infrastructure = new InfrastructureChart(app, 'infrastructure', { ...props.infrastructure, objectStoreCredentials: secrets.objectStore });
  const platform = new PlatformChart(app, 'platform', { ...props.platform, backends: infrastructure.endpoints, jwtSecret: secrets.jwt });
  const observability = new ObservabilityChart(app, 'observability', { ...props.observability, grafanaAdminPassword: secrets.grafanaAdmin });
  const operator = new OperatorChart(app, 'operator', props.operator);
  const network = new NetworkChart(app, 'network', {
    architecture: {
      ingressController: platform.ingress.controllerPods,
      api: platform.api.name,
      worker: platform.worker.name,
      gateway: platform.gateway.name,
      kafka: infrastructure.kafka.name,
      cassandra: infrastructure.cassandra.name,
      redis: infrastructure.redis.name,
      prometheus: observability.prometheus.name,
      operator: operator.operator.name,
      ...(observability.grafana ? { grafana: observability.grafana.name } : {}),
      objectStore: infrastructure.objectStore.name,
      ports: {
        api: SERVER_PORTS.api,
        websocket: SERVER_PORTS.websocket,
        metrics: SERVER_PORTS.metrics,
        kafka: KAFKA_PORT,
        kafkaController: KAFKA_CONTROLLER_PORT,
        cql: CQL_PORT,
        gossip: GOSSIP_PORT,
        redis: REDIS_PORT,
        sentinel: SENTINEL_PORT,
        prometheus: PROMETHEUS_PORT,
        operatorMetrics: OPERATOR_METRICS_PORT,
        objectStore: OBJECT_STORE_PORT,
      },
    },
  });
  return { crds, secrets, infrastructure, platform, observability, operator, network };
}

/** A new App writing one file per chart into `outdir`, with Chat4All's charts in it. */
export function chat4allApp(outdir: string, props: Chat4AllProps = {}, appProps: Omit<AppProps, 'outdir'> = {}): { app: App; charts: Chat4AllCharts } {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART, outputFileExtension: '.k8s.yaml', ...appProps });
  return { app, charts: addChat4All(app, props) };
}
