import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { type Architecture, type Flow, flowsOf } from '../network/flows.js';
import { NetworkPolicies } from '../network/network-policies.js';

export interface NetworkChartProps extends ChartProps {
  /** Names and ports of the platform's parts (addChat4All reads them off the other charts). */
  readonly architecture: Architecture;
}

/** The namespace's NetworkPolicies: deny by default, then exactly the flows of the architecture. */
export class NetworkChart extends Chart {
  readonly flows: readonly Flow[];
  readonly policies: NetworkPolicies;

  constructor(scope: Construct, id: string, props: NetworkChartProps) {
    super(scope, id, props);
    this.flows = flowsOf(props.architecture);
    this.policies = new NetworkPolicies(this, 'Policies', { flows: this.flows });
  }
}
