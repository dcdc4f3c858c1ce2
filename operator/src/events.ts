import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from './logger.js';

/** The object an Event is about. */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

export type EventType = 'Normal' | 'Warning';

/** Records Kubernetes Events. Never throws: an Event that cannot be written is logged and dropped. */
export interface EventRecorder {
  record(subject: EventSubject, type: EventType, reason: string, message: string): Promise<void>;
}

/** Writes core/v1 Events (what `kubectl get events` and `kubectl describe` show). */
export class KubeEventRecorder implements EventRecorder {
  private readonly core: CoreV1Api;
  private sequence = 0;

  constructor(
    kubeConfig: KubeConfig,
    private readonly source: { component: string; instance: string },
    private readonly logger: Logger,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  async record(subject: EventSubject, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date();
    const body: CoreV1Event = {
      metadata: { name: `${subject.name}.${now.getTime().toString(16)}${(this.sequence++ % 4096).toString(16).padStart(3, '0')}`, namespace: subject.namespace },
      involvedObject: { apiVersion: subject.apiVersion, kind: subject.kind, namespace: subject.namespace, name: subject.name, uid: subject.uid, resourceVersion: subject.resourceVersion },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: this.source.component, host: this.source.instance },
      reportingComponent: this.source.component,
      reportingInstance: this.source.instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.core.createNamespacedEvent({ namespace: subject.namespace, body });
    } catch (err) {
      this.logger.warn({ err, reason, object: `${subject.namespace}/${subject.name}` }, 'could not record an Event');
    }
  }
}
