import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { componentLabels } from '../common/labels.js';
import { CHAT4ALL_SPEC, CHAT4ALL_STATUS } from './crd-schema.js';

export const CHAT4ALL_GROUP = 'chat4all.io';
export const CHAT4ALL_VERSION = 'v1alpha1';
export const CHAT4ALL_KIND = 'Chat4All';
export const CHAT4ALL_PLURAL = 'chat4alls';

/**
 * The Chat4All CustomResourceDefinition (chat4all.io/v1alpha1, namespaced): a structural schema
 * with defaults and CEL rules (min <= max, a pinned count within them), the status subresource
 * (only the operator writes status) and the scale subresource. Scale maps to
 * `.spec.gateway.replicas`, an optional pin: `kubectl scale chat4all/x --replicas=N` holds the
 * gateways at N (within min and max) until the field is removed, and reads back `.status.replicas`.
 */
export class Chat4AllCrd extends Construct {
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${CHAT4ALL_PLURAL}.${CHAT4ALL_GROUP}`, labels: componentLabels('chat4all-operator', 'operator') },
      spec: {
        group: CHAT4ALL_GROUP,
        scope: 'Namespaced',
        names: { kind: CHAT4ALL_KIND, listKind: `${CHAT4ALL_KIND}List`, plural: CHAT4ALL_PLURAL, singular: 'chat4all', shortNames: ['c4a'], categories: ['chat4all'] },
        versions: [
          {
            name: CHAT4ALL_VERSION,
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                description: 'Chat4All tells the operator how to scale a WebSocket gateway Deployment from its live connections.',
                required: ['spec'],
                properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: CHAT4ALL_SPEC, status: CHAT4ALL_STATUS },
              },
            },
            subresources: {
              status: {},
              scale: { specReplicasPath: '.spec.gateway.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
            },
            additionalPrinterColumns: [
              { name: 'Min', type: 'integer', jsonPath: '.spec.gateway.minReplicas' },
              { name: 'Max', type: 'integer', jsonPath: '.spec.gateway.maxReplicas' },
              { name: 'Desired', type: 'integer', jsonPath: '.status.desiredReplicas' },
              { name: 'Current', type: 'integer', jsonPath: '.status.replicas' },
              { name: 'Connections', type: 'integer', jsonPath: '.status.currentConnections' },
              { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            ],
          },
        ],
      },
    });
  }
}
