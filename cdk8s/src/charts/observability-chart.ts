import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { Grafana, type GrafanaProps } from '../observability/grafana.js';
import { Prometheus, type PrometheusProps } from '../observability/prometheus.js';
import type { SecretKeyRef } from '../platform/server-workload.js';

export interface ObservabilityChartProps extends ChartProps {
  /** The Secret key holding Grafana's admin password (SecretsChart.grafanaAdmin). */
  readonly grafanaAdminPassword: SecretKeyRef;
  /** @default Prometheus defaults */
  readonly prometheus?: PrometheusProps;
  /** Grafana's props. @default Grafana defaults */
  readonly grafana?: Omit<GrafanaProps, 'prometheusUrl' | 'adminPassword'> & {
    /**
     * Whether Grafana runs at all: off on a cluster that cannot pull its image (every other image
     * is built by `make images`, Grafana's is not). @default true
     */
    readonly enabled?: boolean;
  };
}

/** Prometheus scraping every role, and (unless turned off) Grafana with the Chat4All dashboards. */
export class ObservabilityChart extends Chart {
  readonly prometheus: Prometheus;
  readonly grafana?: Grafana;

  constructor(scope: Construct, id: string, props: ObservabilityChartProps) {
    super(scope, id, props);
    this.prometheus = new Prometheus(this, 'Prometheus', props.prometheus);
    const { enabled = true, ...grafana } = props.grafana ?? {};
    if (enabled) this.grafana = new Grafana(this, 'Grafana', { ...grafana, prometheusUrl: this.prometheus.url, adminPassword: props.grafanaAdminPassword });
  }
}
