import { ApiObject, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { check, checkInt, checkName } from '../common/validate.js';
import { CHAT4ALL_GROUP, CHAT4ALL_KIND, CHAT4ALL_VERSION } from '../operator/chat4all-crd.js';
import { Chat4AllOperator, type Chat4AllOperatorProps } from '../operator/chat4all-operator.js';

export interface GatewayScalingProps {
  /** The gateway Deployment. @default 'chat4all-gateway' */
  readonly deployment?: string;
  /** @default 2 */
  readonly minReplicas?: number;
  /** @default 10 */
  readonly maxReplicas?: number;
  /** @default 1000 */
  readonly targetConnectionsPerPod?: number;
}

export interface OperatorChartProps extends ChartProps {
  /** @default Chat4AllOperator defaults */
  readonly operator?: Chat4AllOperatorProps;
  /** The sample Chat4All resource that scales the platform's gateways. @default see GatewayScalingProps */
  readonly gatewayScaling?: GatewayScalingProps;
  /** Name of that resource. @default 'chat4all' */
  readonly resourceName?: string;
}

/** The operator (RBAC and Deployment) and the Chat4All resource that puts the gateways under it. */
export class OperatorChart extends Chart {
  readonly operator: Chat4AllOperator;
  readonly resource: ApiObject;

  constructor(scope: Construct, id: string, props: OperatorChartProps = {}) {
    super(scope, id, props);
    this.operator = new Chat4AllOperator(this, 'Operator', props.operator);
    const s = props.gatewayScaling ?? {};
    const min = checkInt(this, 'gatewayScaling.minReplicas', s.minReplicas ?? 2, 1, 1000);
    const max = checkInt(this, 'gatewayScaling.maxReplicas', s.maxReplicas ?? 10, 1, 1000);
    check(this, min <= max, 'gatewayScaling', `minReplicas (${min}) must not exceed maxReplicas (${max})`);
    const target = checkInt(this, 'gatewayScaling.targetConnectionsPerPod', s.targetConnectionsPerPod ?? 1000, 1);
    const name = checkName(this, 'resourceName', props.resourceName ?? 'chat4all');
    this.resource = new ApiObject(this, 'Chat4All', {
      apiVersion: `${CHAT4ALL_GROUP}/${CHAT4ALL_VERSION}`,
      kind: CHAT4ALL_KIND,
      metadata: { name, labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'chat4all' } },
      spec: {
        gateway: {
          deployment: checkName(this, 'gatewayScaling.deployment', s.deployment ?? 'chat4all-gateway'),
          minReplicas: min,
          maxReplicas: max,
          targetConnectionsPerPod: target,
          behavior: {
            scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 60 }, { type: 'Pods', value: 4, periodSeconds: 60 }] },
            scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
          },
        },
      },
    });
  }
}
