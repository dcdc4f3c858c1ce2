import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { Chat4AllCrd } from '../operator/chat4all-crd.js';

/** Cluster-scoped definitions, applied (and established) before anything that uses them. */
export class CrdsChart extends Chart {
  readonly chat4all: Chat4AllCrd;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    this.chat4all = new Chat4AllCrd(this, 'Chat4All');
  }
}
