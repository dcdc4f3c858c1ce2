import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKafkaOptions } from '../src/kafka-options.js';
import { headersToStrings } from '../src/kafka-consumer.js';

describe('parseKafkaOptions', () => {
  it('is undefined without KAFKA_BROKERS', () => {
    assert.equal(parseKafkaOptions({}), undefined);
    assert.equal(parseKafkaOptions({ KAFKA_BROKERS: ' ' }), undefined);
  });

  it('reads brokers, partitions and replication factor', () => {
    assert.deepEqual(parseKafkaOptions({ KAFKA_BROKERS: 'kafka-0.kafka:9092, 127.0.0.1:19092,[::1]:9092', KAFKA_PARTITIONS: '24', KAFKA_REPLICATION_FACTOR: '3' }), {
      brokers: ['kafka-0.kafka:9092', '127.0.0.1:19092', '[::1]:9092'],
      partitions: 24,
      replicationFactor: 3,
    });
    assert.deepEqual(parseKafkaOptions({ KAFKA_BROKERS: 'k:9092', KAFKA_PARTITIONS: '' }), { brokers: ['k:9092'] });
  });

  it('names the variable at fault', () => {
    assert.throws(() => parseKafkaOptions({ KAFKA_BROKERS: 'kafka' }), /KAFKA_BROKERS/);
    assert.throws(() => parseKafkaOptions({ KAFKA_BROKERS: 'k:9092,' }), /KAFKA_BROKERS/);
    assert.throws(() => parseKafkaOptions({ KAFKA_BROKERS: 'k:99999' }), /KAFKA_BROKERS/);
    assert.throws(() => parseKafkaOptions({ KAFKA_BROKERS: 'k:9092', KAFKA_PARTITIONS: '0' }), /KAFKA_PARTITIONS/);
    assert.throws(() => parseKafkaOptions({ KAFKA_BROKERS: 'k:9092', KAFKA_PARTITIONS: 'many' }), /KAFKA_PARTITIONS/);
    assert.throws(() => parseKafkaOptions({ KAFKA_BROKERS: 'k:9092', KAFKA_REPLICATION_FACTOR: '-1' }), /KAFKA_REPLICATION_FACTOR/);
  });
});

describe('headersToStrings', () => {
  it('turns Kafka header Buffers into strings, taking the first of repeated names', () => {
    assert.deepEqual(headersToStrings({ a: Buffer.from('x'), b: 'y', c: [Buffer.from('1'), Buffer.from('2')], d: undefined }), { a: 'x', b: 'y', c: '1' });
    assert.deepEqual(headersToStrings(undefined), {});
  });
});
