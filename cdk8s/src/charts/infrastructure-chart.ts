import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { CassandraCluster, type CassandraClusterProps } from '../infrastructure/cassandra-cluster.js';
import { KafkaKraft, type KafkaKraftProps } from '../infrastructure/kafka-kraft.js';
import { ObjectStore, type ObjectStoreCredentials, type ObjectStoreProps } from '../infrastructure/object-store.js';
import { RedisSentinel, type RedisSentinelProps } from '../infrastructure/redis-sentinel.js';
import type { SecretKeyRef } from '../platform/server-workload.js';

export interface InfrastructureChartProps extends ChartProps {
  /** @default RedisSentinel defaults: 3 pods with Sentinel */
  readonly redis?: RedisSentinelProps;
  /** @default KafkaKraft defaults: 3 combined nodes, replication 3, min ISR 2 */
  readonly kafka?: KafkaKraftProps;
  /** @default CassandraCluster defaults: 3 nodes, keyspace replication 3 */
  readonly cassandra?: CassandraClusterProps;
  /** The object store's account, in the generated Secret (SecretsChart.objectStore). */
  readonly objectStoreCredentials: ObjectStoreCredentials;
  /**
   * The attachments' object store. It always runs: the api's pods share attachments through it
   * (ROLE=api refuses to start without S3_ENDPOINT). @default ObjectStore defaults: one versitygw pod, a 20 GiB volume
   */
  readonly objectStore?: Omit<ObjectStoreProps, 'credentials'>;
}

/** The backends chat4all-server's roles share, as the server's environment variables name them. */
export interface BackendEndpoints {
  readonly env: Readonly<Record<string, string>>;
  /** The api's object store for attachments (`S3_*`). */
  readonly objectStore: {
    readonly env: Readonly<Record<string, string>>;
    /** Variables read from Secret keys, never written as literals. */
    readonly secretEnv: Readonly<Record<string, SecretKeyRef>>;
  };
}

/**
 * Redis with Sentinel, Kafka (KRaft), Cassandra and the attachments' object store, and the
 * settings that point the server at them.
 */
export class InfrastructureChart extends Chart {
  readonly redis: RedisSentinel;
  readonly kafka: KafkaKraft;
  readonly cassandra: CassandraCluster;
  readonly objectStore: ObjectStore;

  constructor(scope: Construct, id: string, props: InfrastructureChartProps) {
    super(scope, id, props);
    this.redis = new RedisSentinel(this, 'Redis', props.redis);
    this.kafka = new KafkaKraft(this, 'Kafka', props.kafka);
    this.cassandra = new CassandraCluster(this, 'Cassandra', props.cassandra);
    this.objectStore = new ObjectStore(this, 'ObjectStore', { ...props.objectStore, credentials: props.objectStoreCredentials });
  }

  /** The environment that points chat4all-server at these backends. */
  get endpoints(): BackendEndpoints {
    return {
      env: {
        KAFKA_BROKERS: this.kafka.brokers.join(','),
        KAFKA_REPLICATION_FACTOR: String(this.kafka.replicationFactor),
        CASSANDRA_CONTACT_POINTS: this.cassandra.contactPoints.join(','),
        CASSANDRA_LOCAL_DC: this.cassandra.datacenter,
        CASSANDRA_KEYSPACE: 'chat4all',
        CASSANDRA_REPLICATION_FACTOR: this.cassandra.replicationSetting,
        CASSANDRA_CONSISTENCY: 'localQuorum',
        REDIS_SENTINELS: this.redis.sentinels.join(','),
        REDIS_SENTINEL_NAME: this.redis.masterName,
      },
      objectStore: {
        env: { S3_ENDPOINT: this.objectStore.endpoint, S3_BUCKET: this.objectStore.bucket, S3_REGION: this.objectStore.region },
        secretEnv: { S3_ACCESS_KEY_ID: this.objectStore.credentials.accessKeyId, S3_SECRET_ACCESS_KEY: this.objectStore.credentials.secretAccessKey },
      },
    };
  }
}
