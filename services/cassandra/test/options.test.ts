import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCassandraOptions } from '../src/index.js';
import { replicationCql } from '../src/options.js';

describe('parseCassandraOptions', () => {
  it('is undefined without contact points', () => {
    assert.equal(parseCassandraOptions({}), undefined);
    assert.equal(parseCassandraOptions({ CASSANDRA_CONTACT_POINTS: ' ' }), undefined);
  });

  it('reads every setting', () => {
    assert.deepEqual(
      parseCassandraOptions({
        CASSANDRA_CONTACT_POINTS: '10.0.0.1:9042, cassandra-1.cassandra:19042,[::1]:9042,db',
        CASSANDRA_LOCAL_DC: 'dc1',
        CASSANDRA_KEYSPACE: 'chat_prod',
        CASSANDRA_REPLICATION_FACTOR: 'dc1:3,dc2:2',
        CASSANDRA_CONSISTENCY: 'LOCAL_QUORUM',
        CASSANDRA_USERNAME: 'app',
        CASSANDRA_PASSWORD: 's3cret',
      }),
      {
        contactPoints: ['10.0.0.1:9042', 'cassandra-1.cassandra:19042', '[::1]:9042', 'db'],
        localDataCenter: 'dc1',
        keyspace: 'chat_prod',
        replication: { class: 'NetworkTopologyStrategy', dc1: 3, dc2: 2 },
        consistency: 'localQuorum',
        username: 'app',
        password: 's3cret',
      },
    );
    assert.deepEqual(parseCassandraOptions({ CASSANDRA_CONTACT_POINTS: 'h:1', CASSANDRA_LOCAL_DC: 'd', CASSANDRA_REPLICATION_FACTOR: '3', CASSANDRA_CONSISTENCY: 'one' }), {
      contactPoints: ['h:1'],
      localDataCenter: 'd',
      replication: { class: 'SimpleStrategy', replication_factor: 3 },
      consistency: 'one',
    });
  });

  it('names the variable of a bad value', () => {
    const base = { CASSANDRA_CONTACT_POINTS: 'h:9042', CASSANDRA_LOCAL_DC: 'dc1' };
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ CASSANDRA_CONTACT_POINTS: 'h:99999', CASSANDRA_LOCAL_DC: 'dc1' }, /^CASSANDRA_CONTACT_POINTS/],
      [{ CASSANDRA_CONTACT_POINTS: 'h:9042' }, /^CASSANDRA_LOCAL_DC/],
      [{ ...base, CASSANDRA_KEYSPACE: 'Bad-Name' }, /^CASSANDRA_KEYSPACE/],
      [{ ...base, CASSANDRA_REPLICATION_FACTOR: '0' }, /^CASSANDRA_REPLICATION_FACTOR/],
      [{ ...base, CASSANDRA_REPLICATION_FACTOR: 'dc1=3' }, /^CASSANDRA_REPLICATION_FACTOR/],
      [{ ...base, CASSANDRA_CONSISTENCY: 'two' }, /^CASSANDRA_CONSISTENCY/],
      [{ ...base, CASSANDRA_USERNAME: 'app' }, /^CASSANDRA_PASSWORD/],
      [{ ...base, CASSANDRA_PASSWORD: 'x' }, /^CASSANDRA_USERNAME/],
    ];
    for (const [env, message] of cases) assert.throws(() => parseCassandraOptions(env), { message }, JSON.stringify(env));
  });

  it('renders the replication map as CQL', () => {
    assert.equal(replicationCql({ class: 'SimpleStrategy', replication_factor: 1 }), "{'class': 'SimpleStrategy', 'replication_factor': 1}");
    assert.equal(replicationCql({ class: 'NetworkTopologyStrategy', dc1: 3 }), "{'class': 'NetworkTopologyStrategy', 'dc1': 3}");
    assert.throws(() => replicationCql({ class: 'NetworkTopologyStrategy', "dc1'": 3 }));
  });
});
