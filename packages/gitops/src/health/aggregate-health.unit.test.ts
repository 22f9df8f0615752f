import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aggregateHealth, type ResourceHealth } from './aggregate-health.ts';
import { HEALTH_ORDER, healthSeverity, type HealthStatusCode } from './health-status.ts';

function resource(name: string, status: HealthStatusCode, message = ''): ResourceHealth {
  return { resource: name, health: { status, message } };
}

describe('aggregateHealth', () => {
  test('the order, best to worst, is Healthy, Suspended, Progressing, Unknown, Missing, Degraded', () => {
    assert.deepEqual(HEALTH_ORDER, ['Healthy', 'Suspended', 'Progressing', 'Unknown', 'Missing', 'Degraded']);
    assert.ok(healthSeverity('Degraded') > healthSeverity('Missing'));
  });

  test('each status beats every better one, whatever the order of the list', () => {
    for (const [index, worse] of HEALTH_ORDER.entries()) {
      for (const better of HEALTH_ORDER.slice(0, index)) {
        const list = [resource('a', better), resource('b', worse), resource('c', better)];
        assert.equal(aggregateHealth(list).status, worse, `${worse} over ${better}`);
        assert.equal(aggregateHealth([...list].reverse()).status, worse, `${worse} over ${better}, reversed`);
      }
    }
  });

  test('the message names the worst resource and counts the others like it', () => {
    const health = aggregateHealth([
      resource('/Service/team-a/web', 'Healthy'),
      resource('apps/Deployment/team-a/web', 'Degraded', 'rollout exceeded its progress deadline'),
      resource('/PersistentVolumeClaim/team-a/data', 'Progressing', 'waiting for the claim to be bound'),
      resource('apps/StatefulSet/team-a/db', 'Degraded', 'x'),
      resource('apps/DaemonSet/team-a/agent', 'Missing', 'not found in the cluster'),
    ]);
    assert.deepEqual(health, { status: 'Degraded', message: 'apps/Deployment/team-a/web: rollout exceeded its progress deadline (and 1 more Degraded)' });
  });

  test('a worst resource without a message is named with its status', () => {
    assert.deepEqual(aggregateHealth([resource('/Service/team-a/lb', 'Progressing')]), { status: 'Progressing', message: '/Service/team-a/lb: progressing' });
  });

  test('all healthy, and no resources at all, are Healthy', () => {
    assert.deepEqual(aggregateHealth([resource('a', 'Healthy'), resource('b', 'Healthy')]), { status: 'Healthy', message: '2 resources healthy' });
    assert.equal(aggregateHealth([]).status, 'Healthy');
  });
});
