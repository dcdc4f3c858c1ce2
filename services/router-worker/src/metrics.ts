import { TOPIC_MESSAGES, TOPIC_RECEIPTS } from '@chat4all/contract';
import type { ConsumerLag } from '@chat4all/core';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The worker's metrics, registered on the registry it is given. */
export class WorkerMetrics {
  private readonly records: Counter<'topic' | 'outcome'>;
  private readonly deadLetters: Counter<'topic' | 'code'>;
  private readonly duration: Histogram<'topic'>;
  private readonly storeLatency: Histogram;

  /** `lags` is read at each scrape: the consumer's lag per partition. */
  constructor(registry: Registry, lags: () => ConsumerLag[]) {
    new Gauge({
      name: 'kafka_consumer_lag',
      help: 'Records of the event log not yet committed by the router worker, per topic and partition (as of its latest fetch)',
      labelNames: ['topic', 'partition'],
      registers: [registry],
      collect() {
        this.reset();
        for (const l of lags()) this.set({ topic: l.topic, partition: String(l.partition) }, l.lag);
      },
    });
    this.records = new Counter({ name: 'worker_records_total', help: 'Records handled by the router worker, by topic and outcome (ok, error: to be retried or dead-lettered)', labelNames: ['topic', 'outcome'], registers: [registry] });
    this.deadLetters = new Counter({ name: 'worker_dead_letter_total', help: 'Records put on the dead-letter topic, by source topic and error code', labelNames: ['topic', 'code'], registers: [registry] });
    // The two ways a record is put aside (not valid; failed every attempt) start at zero for each
    // topic, so the dashboard shows 0 dead letters rather than no data.
    for (const topic of [TOPIC_MESSAGES, TOPIC_RECEIPTS]) for (const code of ['invalid', 'internal']) this.deadLetters.inc({ topic, code }, 0);
    this.duration = new Histogram({ name: 'worker_record_duration_seconds', help: 'Time to store and fan out one record', labelNames: ['topic'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] });
    this.storeLatency = new Histogram({ name: 'message_accept_to_store_seconds', help: 'From the api accepting a message to the worker having stored and published it', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] });
  }

  handled(topic: string, outcome: 'ok' | 'error', ms: number): void {
    this.records.inc({ topic, outcome });
    if (outcome === 'ok') this.duration.observe({ topic }, ms / 1000);
  }

  stored(latencyMs: number): void {
    this.storeLatency.observe(Math.max(0, latencyMs) / 1000);
  }

  deadLettered(topic: string, code: string): void {
    this.deadLetters.inc({ topic, code });
  }
}
