// The TypeBox schemas as JSON Schema: what they accept and refuse locally (CEL rules are the API
// server's: see validation.test.ts), the defaults they fill, the names and constants.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Value } from 'typebox/value';
import { defaultPlatformConfig, defaultTemplates } from '@beamline/install';
import {
  API_VERSION,
  APPLICATION,
  CLUSTER,
  CLUSTER_TEMPLATE,
  ClusterSchema,
  ClusterTemplateSchema,
  GROUP,
  KINDS,
  kubeconfigSecretName,
  NODE_GROUP,
  nodeGroupObjectName,
  NodeGroupSchema,
  nodeGroupShortName,
  PLATFORM_CONFIG,
  PlatformConfigSchema,
  VERSION,
  type Cluster,
  type NodeGroup,
} from './index.ts';

/** A NodeGroup as a client writes it (no defaults). */
function nodeGroup(spec: Partial<NodeGroup['spec']> = {}): NodeGroup {
  return {
    apiVersion: API_VERSION,
    kind: 'NodeGroup',
    metadata: { name: 'lab-workers', namespace: 'physics' },
    spec: { clusterName: 'lab', flavor: 'm1.small', replicas: 2, ...spec },
  };
}

describe('group, version and names', () => {
  test('apiVersion is beamline.dev/v1alpha1', () => {
    assert.equal(GROUP, 'beamline.dev');
    assert.equal(VERSION, 'v1alpha1');
    assert.equal(API_VERSION, 'beamline.dev/v1alpha1');
  });

  test('kinds, plurals and scopes', () => {
    assert.deepEqual(
      KINDS.map((k) => [k.kind, k.plural, k.scope]),
      [
        ['PlatformConfig', 'platformconfigs', 'Cluster'],
        ['Project', 'projects', 'Cluster'],
        ['ClusterTemplate', 'clustertemplates', 'Cluster'],
        ['Cluster', 'clusters', 'Namespaced'],
        ['NodeGroup', 'nodegroups', 'Namespaced'],
        ['Application', 'applications', 'Namespaced'],
      ],
    );
  });

  test('short names are unique and clash with no built-in resource', () => {
    // kubectl api-resources of Kubernetes 1.36 (built-in short names).
    const builtIn = ['cs', 'cm', 'ep', 'ev', 'limits', 'no', 'ns', 'pvc', 'pv', 'po', 'rc', 'quota', 'sa', 'svc', 'crd', 'crds', 'ds', 'deploy', 'rs', 'sts', 'hpa', 'cj', 'csr', 'ing', 'netpol', 'pdb', 'pc', 'sc', 'vac', 'ipa'];
    const ours = KINDS.flatMap((k) => k.shortNames);
    assert.equal(new Set(ours).size, ours.length);
    for (const name of ours) assert.ok(!builtIn.includes(name), name);
    assert.deepEqual(
      [PLATFORM_CONFIG, CLUSTER_TEMPLATE, CLUSTER, NODE_GROUP, APPLICATION].map((k) => k.shortNames),
      [['pcfg'], ['ct'], ['cl'], ['ng'], ['bapp']],
    );
  });

  test('object names derived from a cluster', () => {
    assert.equal(nodeGroupObjectName('lab', 'gpu'), 'lab-gpu');
    assert.equal(nodeGroupShortName('lab-gpu', 'lab'), 'gpu');
    assert.equal(nodeGroupShortName('lab-', 'lab'), undefined);
    assert.equal(nodeGroupShortName('labs-gpu', 'lab'), undefined);
    assert.equal(kubeconfigSecretName('lab'), 'lab-kubeconfig');
  });
});

describe('schemas', () => {
  test('the default PlatformConfig and templates are valid', () => {
    assert.ok(Value.Check(PlatformConfigSchema, defaultPlatformConfig()), JSON.stringify([...Value.Errors(PlatformConfigSchema, defaultPlatformConfig())]));
    for (const template of defaultTemplates()) {
      assert.ok(Value.Check(ClusterTemplateSchema, template), `${template.metadata.name}: ${JSON.stringify([...Value.Errors(ClusterTemplateSchema, template)])}`);
    }
  });

  test('flavor names, quantities and versions are checked', () => {
    const config = defaultPlatformConfig();
    const withFlavor = (flavor: object): unknown => ({ ...config, spec: { ...config.spec, flavors: [flavor] } });
    assert.ok(Value.Check(PlatformConfigSchema, withFlavor({ name: 'c2.tiny', cpu: '500m', memory: '512Mi' })));
    assert.ok(!Value.Check(PlatformConfigSchema, withFlavor({ name: 'C2.Tiny', cpu: '1', memory: '1Gi' })), 'upper case name');
    assert.ok(!Value.Check(PlatformConfigSchema, withFlavor({ name: 'c2', cpu: 'lots', memory: '1Gi' })), 'not a quantity');
    assert.ok(!Value.Check(PlatformConfigSchema, withFlavor({ name: 'c2', cpu: 2, memory: '1Gi' })), 'cpu as a number');
    assert.ok(!Value.Check(PlatformConfigSchema, withFlavor({ name: 'g2', cpu: '1', memory: '1Gi', gpus: { count: 0, product: 'x' } })), 'zero GPUs');
    assert.ok(!Value.Check(PlatformConfigSchema, { ...config, spec: { ...config.spec, kubernetesVersions: ['v1.36.3'] } }), 'a v prefix');
    assert.ok(!Value.Check(PlatformConfigSchema, { ...config, spec: { ...config.spec, flavors: [] } }), 'no flavors');
  });

  test('a NodeGroup: replicas, taints, zones, role', () => {
    assert.ok(Value.Check(NodeGroupSchema, nodeGroup({ taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }], zones: ['zone-a'] })));
    assert.ok(!Value.Check(NodeGroupSchema, nodeGroup({ replicas: -1 })), 'negative replicas');
    assert.ok(!Value.Check(NodeGroupSchema, nodeGroup({ replicas: 1.5 })), 'fractional replicas');
    assert.ok(!Value.Check(NodeGroupSchema, nodeGroup({ taints: [{ key: 'gpu', effect: 'Sometimes' as 'NoSchedule' }] })), 'unknown effect');
    assert.ok(!Value.Check(NodeGroupSchema, nodeGroup({ role: 'GPU' })), 'role not a DNS label');
    assert.ok(!Value.Check(NodeGroupSchema, nodeGroup({ clusterName: 'Lab' })), 'cluster name not a DNS label');
  });

  test('defaults: minReplicas 0, role worker, provider kwok, Secret key value', () => {
    const defaulted = Value.Default(NodeGroupSchema, nodeGroup()) as NodeGroup;
    assert.equal(defaulted.spec.minReplicas, 0);
    assert.equal(defaulted.spec.role, 'worker');
    const [small] = defaultTemplates();
    assert.ok(small !== undefined);
    const { provider: _provider, ...withoutProvider } = small.spec;
    assert.equal((Value.Default(ClusterTemplateSchema, { ...small, spec: withoutProvider }) as typeof small).spec.provider, 'kwok');
    const imported: Cluster = {
      apiVersion: API_VERSION,
      kind: 'Cluster',
      metadata: { name: 'lab' },
      spec: { templateRef: { name: 'small' }, provider: 'imported', imported: { kubeconfigSecretRef: { name: 'lab-admin' } } },
    };
    assert.equal((Value.Default(ClusterSchema, imported) as Cluster).spec.imported?.kubeconfigSecretRef.key, 'value');
  });

  test('a Cluster status with conditions, node groups and counts', () => {
    const cluster: Cluster = {
      apiVersion: API_VERSION,
      kind: 'Cluster',
      metadata: { name: 'lab' },
      spec: { templateRef: { name: 'small' } },
      status: {
        observedGeneration: 1,
        phase: 'Running',
        provider: 'kwok',
        endpoint: 'https://127.0.0.1:6443',
        kubernetesVersion: '1.36.3',
        controlPlaneReplicas: 1,
        nodeGroups: [{ name: 'lab-default', replicas: 3, readyReplicas: 3 }],
        nodes: { total: 3, ready: 3 },
        kubeconfigSecretRef: { name: 'lab-kubeconfig', key: 'value' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'Available', message: '', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1 }],
      },
    };
    assert.ok(Value.Check(ClusterSchema, cluster), JSON.stringify([...Value.Errors(ClusterSchema, cluster)]));
    const badPhase = { ...cluster, status: { ...cluster.status, phase: 'Exploded' } };
    assert.ok(!Value.Check(ClusterSchema, badPhase));
    const badCondition = { ...cluster, status: { conditions: [{ type: 'Ready', status: 'Yes', reason: 'Available', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] } };
    assert.ok(!Value.Check(ClusterSchema, badCondition));
  });
});
