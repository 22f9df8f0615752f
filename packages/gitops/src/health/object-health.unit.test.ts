import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Manifest } from '../render/manifest.ts';
import type { HealthStatusCode } from './health-status.ts';
import { hasHealthRule, objectHealth } from './object-health.ts';
import { fixture, patched } from './testdata/fixtures.ts';

interface Case {
  readonly name: string;
  readonly object: Manifest | undefined;
  readonly status: HealthStatusCode;
  readonly message?: RegExp;
}

function check(cases: readonly Case[]): void {
  for (const { name, object, status, message } of cases) {
    test(name, () => {
      const health = objectHealth(object);
      assert.equal(health.status, status, health.message);
      if (message !== undefined) assert.match(health.message, message);
    });
  }
}

const jobCondition = (type: string, status: string, reason: string, message: string): Record<string, unknown> => ({
  type, status, reason, message, lastProbeTime: '2030-01-01T10:01:00Z', lastTransitionTime: '2030-01-01T10:01:00Z',
});

describe('Job health', () => {
  const job = fixture('job');
  check([
    { name: 'Complete is Healthy', object: job, status: 'Healthy', message: /succeeded pods/ },
    {
      name: 'Failed is Degraded with reason and message',
      object: patched(job, {
        status: {
          succeeded: undefined, failed: 7, completionTime: undefined,
          conditions: [
            jobCondition('FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
            jobCondition('Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
          ],
        },
      }),
      status: 'Degraded',
      message: /^BackoffLimitExceeded: Job has reached the specified backoff limit$/,
    },
    {
      name: 'suspended (condition) is Suspended',
      object: patched(job, { spec: { suspend: true }, status: { succeeded: undefined, completionTime: undefined, conditions: [jobCondition('Suspended', 'True', 'JobSuspended', 'Job suspended')] } }),
      status: 'Suspended',
    },
    {
      name: 'suspended in spec, before the controller reacts, is Suspended',
      object: patched(job, { spec: { suspend: true }, status: undefined }),
      status: 'Suspended',
    },
    {
      name: 'resumed (Suspended False) and running is Progressing',
      object: patched(job, { status: { succeeded: undefined, active: 1, completionTime: undefined, conditions: [jobCondition('Suspended', 'False', 'JobResumed', 'Job resumed')] } }),
      status: 'Progressing',
      message: /1 active/,
    },
    { name: 'running is Progressing', object: patched(job, { status: { active: 1, succeeded: undefined, completionTime: undefined, conditions: undefined } }), status: 'Progressing' },
  ]);
});

describe('PersistentVolumeClaim health', () => {
  const pvc = (phase: string | undefined): Manifest => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'team-a' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, storageClassName: 'standard', volumeMode: 'Filesystem' },
    status: phase === undefined ? {} : { phase, ...(phase === 'Bound' ? { accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' } } : {}) },
  });
  check([
    { name: 'Bound is Healthy', object: pvc('Bound'), status: 'Healthy' },
    { name: 'Pending is Progressing', object: pvc('Pending'), status: 'Progressing' },
    { name: 'Lost is Degraded', object: pvc('Lost'), status: 'Degraded' },
    { name: 'no phase is Unknown', object: pvc(undefined), status: 'Unknown' },
  ]);
});

describe('Service and Ingress health', () => {
  const service = (type: string, ingress?: unknown[]): Manifest => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'team-a' },
    spec: { type, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: 'web' } },
    status: { loadBalancer: ingress === undefined ? {} : { ingress } },
  });
  const ingress = (lb?: unknown[]): Manifest => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'team-a' },
    spec: { ingressClassName: 'nginx', rules: [{ host: 'web.example.org', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    status: { loadBalancer: lb === undefined ? {} : { ingress: lb } },
  });
  check([
    { name: 'ClusterIP is Healthy', object: service('ClusterIP'), status: 'Healthy' },
    { name: 'LoadBalancer without an address is Progressing', object: service('LoadBalancer'), status: 'Progressing' },
    { name: 'LoadBalancer with an address is Healthy', object: service('LoadBalancer', [{ ip: '203.0.113.10', ipMode: 'VIP' }]), status: 'Healthy' },
    { name: 'Ingress with an address is Healthy', object: ingress([{ ip: '203.0.113.20' }]), status: 'Healthy' },
    { name: 'Ingress without an address is Progressing (as in Argo CD)', object: ingress(), status: 'Progressing' },
  ]);
});

describe('HorizontalPodAutoscaler health', () => {
  const hpa = fixture('hpa');
  const failedMetric = {
    type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric',
    message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
  };
  check([
    { name: 'able to scale and active is Healthy', object: hpa, status: 'Healthy' },
    {
      name: 'ScalingActive False with FailedGetResourceMetric is Degraded, even with AbleToScale True first',
      object: patched(hpa, { status: { conditions: [{ type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: '' }, failedMetric] } }),
      status: 'Degraded',
      message: /FailedGetResourceMetric/,
    },
    {
      name: 'AbleToScale False with FailedGetScale is Degraded',
      object: patched(hpa, { status: { conditions: [{ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: 'deployments/scale.apps "web" not found' }] } }),
      status: 'Degraded',
    },
    {
      name: 'ScalingDisabled (target scaled to 0) is Healthy',
      object: patched(hpa, {
        status: { conditions: [{ type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: '' }, { type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' }] },
      }),
      status: 'Healthy',
    },
    {
      name: 'ScalingLimited True (at max) is still Healthy',
      object: patched(hpa, {
        status: {
          conditions: [
            { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: '' },
            { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'ok' },
            { type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' },
          ],
        },
      }),
      status: 'Healthy',
    },
    { name: 'no conditions yet is Progressing', object: patched(hpa, { status: { conditions: undefined } }), status: 'Progressing' },
    {
      name: 'autoscaling/v1 reads its conditions annotation',
      object: patched(hpa, {
        apiVersion: 'autoscaling/v1',
        metadata: { annotations: { 'autoscaling.alpha.kubernetes.io/conditions': JSON.stringify([failedMetric]) } },
        status: { conditions: undefined },
      }),
      status: 'Degraded',
    },
  ]);
});

describe('CustomResourceDefinition health', () => {
  const crd = fixture('crd');
  check([
    { name: 'Established and names accepted is Healthy', object: crd, status: 'Healthy' },
    { name: 'no conditions yet is Progressing', object: patched(crd, { status: { conditions: undefined } }), status: 'Progressing' },
    {
      name: 'NamesAccepted False is Degraded',
      object: patched(crd, {
        status: { conditions: [{ type: 'NamesAccepted', status: 'False', reason: 'KindConflict', message: '"Widget" is already in use' }, { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' }] },
      }),
      status: 'Degraded',
      message: /KindConflict/,
    },
    {
      name: 'names accepted, not yet Established is Progressing',
      object: patched(crd, { status: { conditions: [{ type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: '' }, { type: 'Established', status: 'False', reason: 'Installing', message: 'the initial names have been accepted' }] } }),
      status: 'Progressing',
    },
    {
      name: 'NonStructuralSchema True is Degraded',
      object: patched(crd, { status: { conditions: [{ type: 'NonStructuralSchema', status: 'True', reason: 'Violations', message: 'spec.versions[0].schema.openAPIV3Schema.type: Required value' }, { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: '' }] } }),
      status: 'Degraded',
    },
    {
      name: 'Terminating is Progressing',
      object: patched(crd, { status: { conditions: [{ type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' }] } }),
      status: 'Progressing',
    },
  ]);
});

describe('APIService health', () => {
  const api = fixture('apiservice');
  const available = (status: string, reason: string, message: string): Manifest => patched(api, { status: { conditions: [{ type: 'Available', status, reason, message }] } });
  check([
    { name: 'Available True is Healthy', object: api, status: 'Healthy' },
    { name: 'MissingEndpoints (backend starting) is Progressing', object: available('False', 'MissingEndpoints', 'endpoints for service/metrics-server in "kube-system" have no addresses with port name "https"'), status: 'Progressing' },
    { name: 'FailedDiscoveryCheck is Progressing', object: available('False', 'FailedDiscoveryCheck', 'failing or missing response from https://10.96.0.5:443/apis/metrics.k8s.io/v1beta1'), status: 'Progressing' },
    { name: 'ServicePortError is Degraded', object: available('False', 'ServicePortError', 'service/metrics-server in "kube-system" is not listening on port 443'), status: 'Degraded' },
    { name: 'no condition yet is Progressing', object: patched(api, { status: undefined }), status: 'Progressing' },
  ]);
});

describe('objectHealth', () => {
  check([
    { name: 'no live object is Missing', object: undefined, status: 'Missing' },
    {
      name: 'an object being deleted is Progressing, whatever its kind',
      object: patched(fixture('deployment'), { metadata: { deletionTimestamp: '2030-01-01T11:00:00Z', finalizers: ['foregroundDeletion'] } }),
      status: 'Progressing',
      message: /pending deletion/,
    },
    { name: 'a ConfigMap (no rule) is Healthy once it exists', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'team-a' }, data: { a: '1' } }, status: 'Healthy' },
    {
      name: 'a custom resource (no rule) is Healthy, even with a failing Ready condition',
      object: { apiVersion: 'example.org/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'team-a' }, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Broken', message: '' }] } },
      status: 'Healthy',
    },
    {
      name: 'a custom resource called Deployment is not read as an apps Deployment',
      object: { apiVersion: 'example.org/v1', kind: 'Deployment', metadata: { name: 'w', namespace: 'team-a', generation: 5 }, spec: { paused: true } },
      status: 'Healthy',
    },
  ]);

  test('hasHealthRule matches by group and kind', () => {
    assert.equal(hasHealthRule('apps/v1', 'Deployment'), true);
    assert.equal(hasHealthRule('extensions/v1beta1', 'Ingress'), true);
    assert.equal(hasHealthRule('v1', 'ConfigMap'), false);
    assert.equal(hasHealthRule('example.org/v1', 'Deployment'), false);
  });
});

test('Ingress and LoadBalancer Services without an address are Healthy where nothing publishes addresses (kwok)', () => {
  const ingress = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web' }, spec: {} };
  const lb = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'LoadBalancer' } };
  assert.equal(objectHealth(ingress).status, 'Progressing');
  assert.equal(objectHealth(lb).status, 'Progressing');
  for (const obj of [ingress, lb]) {
    const health = objectHealth(obj, { publishesAddresses: false });
    assert.equal(health.status, 'Healthy');
    assert.match(health.message, /nothing in this cluster publishes/);
  }
});

describe('HorizontalPodAutoscaler health where no metrics API is served (kwok)', () => {
  const hpa = fixture('hpa');
  const able = { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: 'the HPA controller was able to get the target\'s current scale' };
  // What kube-controller-manager writes on a kwok cluster (no metrics-server).
  const noMetricsApi = {
    type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric',
    message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)',
  };
  const missingRequest = {
    type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric',
    message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container web of Pod web-1',
  };
  const withConditions = (list: readonly unknown[]): Manifest => patched(hpa, { status: { conditions: list } });

  test('only the metrics API missing: Healthy with a note on kwok, Degraded elsewhere', () => {
    const health = objectHealth(withConditions([able, noMetricsApi]), { servesResourceMetrics: false });
    assert.equal(health.status, 'Healthy');
    assert.match(health.message, /no metrics API \(simulated cluster\)/);
    assert.equal(objectHealth(withConditions([able, noMetricsApi])).status, 'Degraded');
    assert.equal(objectHealth(withConditions([able, noMetricsApi]), { servesResourceMetrics: true }).status, 'Degraded');
  });

  test('any other failure stays Degraded on kwok', () => {
    assert.equal(objectHealth(withConditions([able, missingRequest]), { servesResourceMetrics: false }).status, 'Degraded');
    const cannotScale = { type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: 'deployments/scale.apps "web" not found' };
    const both = objectHealth(withConditions([cannotScale, noMetricsApi]), { servesResourceMetrics: false });
    assert.equal(both.status, 'Degraded');
    assert.match(both.message, /FailedGetScale/);
  });
});

describe('objectHealth never throws', () => {
  // Live objects come from anyone who can write to a cluster: every shape must give a health.
  const hostile: [string, unknown][] = [
    ['null', null],
    ['a string', 'Deployment'],
    ['a number', 42],
    ['an array', [1, 2]],
    ['an empty object', {}],
    ['no metadata', { apiVersion: 'apps/v1', kind: 'Deployment' }],
    ['metadata null', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: null }],
    ['metadata a string', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: 'web' }],
    ['metadata an array', { apiVersion: 'batch/v1', kind: 'Job', metadata: [] }],
    ['apiVersion a number', { apiVersion: 1, kind: 'Deployment', metadata: {} }],
    ['kind an object', { apiVersion: 'apps/v1', kind: { name: 'Deployment' }, metadata: {} }],
    ['kind null', { apiVersion: 'v1', kind: null, metadata: {} }],
    ['status null', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w' }, spec: null, status: null }],
    ['status a string', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'w' }, status: 'ok' }],
    ['conditions an object', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, status: { conditions: { type: 'Complete' } } }],
    ['conditions with null entries', { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, status: { conditions: [null, 3, 'x', { type: null }] } }],
    ['v1 HPA with a broken annotation', { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { annotations: { 'autoscaling.alpha.kubernetes.io/conditions': '{not json' } } }],
    ['v1 HPA with annotations null', { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { annotations: null } }],
    ['pod with containerStatuses of the wrong type', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status: { phase: 'Running', containerStatuses: [null, { state: 'x' }, { state: { waiting: null } }] } }],
    ['pod with a numeric phase', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status: { phase: 7 } }],
    ['deployment with string numbers', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', generation: '2' }, spec: { replicas: 'three' }, status: { replicas: '3', conditions: 'none' } }],
    ['service with loadBalancer null', { apiVersion: 'v1', kind: 'Service', metadata: {}, spec: { type: 'LoadBalancer' }, status: { loadBalancer: null } }],
    ['pvc with phase an object', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {}, status: { phase: {} } }],
    ['crd with conditions null', { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: {}, status: { conditions: null } }],
    ['apiservice without status', { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: {} }],
    ['deletionTimestamp a number', { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { deletionTimestamp: 5 } }],
  ];
  for (const [name, value] of hostile) {
    test(name, () => {
      for (const options of [{}, { publishesAddresses: false, servesResourceMetrics: false }]) {
        const health = objectHealth(value as Manifest, options);
        assert.ok(['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'].includes(health.status), health.status);
        assert.equal(typeof health.message, 'string');
      }
    });
  }

  test('no metadata at all: the kind\'s rule still runs, a non-object is Unknown, null is Missing', () => {
    assert.equal(objectHealth({ apiVersion: 'apps/v1', kind: 'Deployment' } as unknown as Manifest).status, 'Progressing');
    assert.equal(objectHealth('x' as unknown as Manifest).status, 'Unknown');
    assert.equal(objectHealth(null as unknown as Manifest).status, 'Missing');
  });
});
