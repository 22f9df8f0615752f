import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clustersInBudget, marginalMib } from './memory.ts';

test('the marginal memory is the slope of total PSS over clusters running', () => {
  // 500 MiB fixed (manager, management plane, shared binaries), 200 per cluster, with noise.
  const samples = [
    { clusters: 1, totalMib: 702 },
    { clusters: 2, totalMib: 898 },
    { clusters: 3, totalMib: 1101 },
    { clusters: 4, totalMib: 1299 },
  ];
  assert.ok(Math.abs(marginalMib(samples) - 199) < 1, String(marginalMib(samples)));
  const fit = clustersInBudget(samples, 16_384);
  assert.ok(Math.abs(fit.fixedMib - 502) < 2, String(fit.fixedMib));
  assert.equal(fit.clusters, Math.floor((16_384 - fit.fixedMib) / marginalMib(samples)));
});

test('one sample is not enough to say what one more cluster costs', () => {
  assert.throws(() => marginalMib([{ clusters: 1, totalMib: 700 }]), /at least two samples/);
});
