import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaKraft } from '../src/infrastructure/kafka-kraft.js';
import type { PropsError } from '../src/common/validate.js';
import { synthOf } from './support/synth.js';

describe('PropsError', () => {
  const error = (build: Parameters<typeof synthOf>[0]): PropsError => {
    try {
      synthOf(build);
    } catch (e) {
      if ((e as PropsError).code === 'invalid_props') return e as PropsError;
      throw e;
    }
    assert.fail('no PropsError');
  };

  it('names the construct and the prop, and the range of a whole number out of it', () => {
    const e = error((s) => new KafkaKraft(s, 'Kafka', { replicas: 11 }));
    assert.equal(e.message, 'test/Kafka: replicas must be a whole number between 1 and 9, got 11');
    assert.deepEqual([e.scopePath, e.prop, e.bounds], ['test/Kafka', 'replicas', { minimum: 1, maximum: 9 }]);
  });

  it('has no range for a rule other than a range', () => {
    const e = error((s) => new KafkaKraft(s, 'Kafka', { replicas: 4 }));
    assert.deepEqual([e.prop, e.bounds], ['replicas', undefined]);
    assert.match(e.message, /must be odd/);
  });
});
