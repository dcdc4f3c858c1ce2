/** The subset of a CRD's structural OpenAPI v3 schema this file uses, keys as in the API. */
export interface Schema {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly description?: string;
  readonly format?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
  readonly required?: readonly string[];
  readonly enum?: readonly string[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly maxItems?: number;
  readonly pattern?: string;
  readonly 'x-kubernetes-validations'?: readonly { readonly rule: string; readonly message: string }[];
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
}

const int = (description: string, extra: Partial<Schema> = {}): Schema => ({ type: 'integer', format: 'int32', description, ...extra });

const policies: Schema = {
  type: 'array',
  description: 'How fast replicas may change: each policy allows `value` Pods (or percent of the current count) per `periodSeconds`.',
  maxItems: 10,
  items: {
    type: 'object',
    required: ['type', 'value', 'periodSeconds'],
    properties: {
      type: { type: 'string', enum: ['Pods', 'Percent'] },
      value: int('Pods, or percent of the current replicas, allowed per period.', { minimum: 1 }),
      periodSeconds: int('The window the value applies to.', { minimum: 1, maximum: 1800 }),
    },
  },
};

const rules = (stabilizationDefault: number): Schema => ({
  type: 'object',
  description: 'Scaling rules in one direction, as in a HorizontalPodAutoscaler.',
  properties: {
    stabilizationWindowSeconds: int('Recommendations of this many past seconds are considered, to avoid flapping.', { minimum: 0, maximum: 3600, default: stabilizationDefault }),
    selectPolicy: { type: 'string', enum: ['Max', 'Min', 'Disabled'], default: 'Max', description: 'Which policy wins when several apply; Disabled forbids scaling in this direction.' },
    policies,
  },
});

/** spec of a Chat4All: how its gateway Deployment is scaled from live connection counts. */
export const CHAT4ALL_SPEC: Schema = {
  type: 'object',
  required: ['gateway'],
  properties: {
    gateway: {
      type: 'object',
      description: 'The WebSocket gateway Deployment the operator scales.',
      required: ['deployment', 'maxReplicas', 'targetConnectionsPerPod'],
      properties: {
        deployment: { type: 'string', minLength: 1, maxLength: 253, description: 'Name of the gateway Deployment in this namespace.' },
        minReplicas: int('Fewest gateway pods.', { minimum: 1, default: 2 }),
        maxReplicas: int('Most gateway pods.', { minimum: 1 }),
        replicas: int('Pins the replica count (the scale subresource: `kubectl scale`); unset, the operator decides from connections.', { minimum: 0 }),
        targetConnectionsPerPod: int('Average websocket_connections_active per pod the operator aims at.', { minimum: 1 }),
        metricsPort: int('Port of the gateways’ /metrics.', { minimum: 1, maximum: 65535, default: 9095 }),
        tolerance: { type: 'number', minimum: 0, maximum: 1, default: 0.1, description: 'No change while |current/target - 1| is within this ratio.' },
        behavior: {
          type: 'object',
          description: 'Stabilization windows and rate limits per direction.',
          properties: { scaleUp: rules(0), scaleDown: rules(300) },
        },
      },
      'x-kubernetes-validations': [
        { rule: 'self.minReplicas <= self.maxReplicas', message: 'minReplicas must not exceed maxReplicas' },
        { rule: '!has(self.replicas) || (self.replicas >= self.minReplicas && self.replicas <= self.maxReplicas)', message: 'replicas must be within minReplicas and maxReplicas' },
      ],
    },
  },
};

/** The standard metav1.Condition shape. */
const condition: Schema = {
  type: 'object',
  required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  properties: {
    type: { type: 'string', maxLength: 316, pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
    lastTransitionTime: { type: 'string', format: 'date-time' },
    reason: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' },
    message: { type: 'string', maxLength: 32768 },
  },
};

/** status of a Chat4All, written by the operator only. */
export const CHAT4ALL_STATUS: Schema = {
  type: 'object',
  properties: {
    replicas: int('Replicas the gateway Deployment has.', { minimum: 0 }),
    desiredReplicas: int('Replicas the operator last decided on.', { minimum: 0 }),
    currentConnections: { type: 'integer', format: 'int64', minimum: 0, description: 'Sum of websocket_connections_active over the gateway pods.' },
    selector: { type: 'string', description: 'Label selector of the gateway pods (for the scale subresource).' },
    lastScaleTime: { type: 'string', format: 'date-time' },
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
    conditions: { type: 'array', maxItems: 16, items: condition, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
  },
};
