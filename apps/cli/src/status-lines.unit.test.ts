// API refusals as the API server sends them (Status bodies copied from kube-apiserver 1.36
// answers to Beamline's CRDs and admission policies), turned into one line per mistake.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { joinLines, statusLines, statusOf } from './status-lines.ts';

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

describe('statusLines', () => {
  test('a pattern failure says what the field must be, without the regular expression', () => {
    const lines = statusLines({
      code: 422,
      reason: 'Invalid',
      message: `Application.beamline.dev "bad" is invalid: spec.destination.namespace: Invalid value: "Guest_Book": spec.destination.namespace in body should match '${DNS_LABEL}'`,
      details: {
        causes: [{ reason: 'FieldValueInvalid', field: 'spec.destination.namespace', message: `Invalid value: "Guest_Book": spec.destination.namespace in body should match '${DNS_LABEL}'` }],
      },
    });
    assert.deepEqual(lines, [`spec.destination.namespace: must be a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit (got "Guest_Book")`]);
    assert.doesNotMatch(lines.join('\n'), /\^\[a-z0-9\]/);
  });

  test('an unknown pattern is "not in the allowed format", never the expression', () => {
    const [line] = statusLines({ code: 422, details: { causes: [{ field: 'spec.x', message: `Invalid value: "a b": spec.x in body should match '^[a-z]+$'` }] } });
    assert.equal(line, 'spec.x: is not in the allowed format (got "a b")');
  });

  test('a minimum says ≥', () => {
    const lines = statusLines({
      code: 422,
      message: 'NodeGroup.beamline.dev "demo-default" is invalid: spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0',
      details: { causes: [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: -1: spec.replicas in body should be greater than or equal to 0' }] },
    });
    assert.deepEqual(lines, ['spec.replicas: must be ≥ 0 (got -1)']);
  });

  test('one line per mistake: the summary that repeats the causes is dropped, a CEL rule beats the schema for the same field', () => {
    const lines = statusLines({
      code: 422,
      message:
        'Application.beamline.dev "bad" is invalid: [spec.source.repoURL: Invalid value: "string": repoURL must start with https://, http://, ssh://, file:// or be user@host:path, spec.source.repoURL: Invalid value: "ext::sh": spec.source.repoURL in body should match \'^x\', spec.destination.cluster: Required value]',
      details: {
        causes: [
          { reason: 'FieldValueInvalid', field: 'spec.source.repoURL', message: 'Invalid value: "string": repoURL must start with https://, http://, ssh://, file:// or be user@host:path' },
          { reason: 'FieldValueInvalid', field: 'spec.source.repoURL', message: `Invalid value: "ext::sh": spec.source.repoURL in body should match '^x'` },
          { reason: 'FieldValueRequired', field: 'spec.destination.cluster', message: 'Required value' },
        ],
      },
    });
    assert.deepEqual(lines, ['spec.source.repoURL: repoURL must start with https://, http://, ssh://, file:// or be user@host:path', 'spec.destination.cluster: is required']);
  });

  test('an admission policy denial names neither the policy nor its binding', () => {
    const lines = statusLines({
      code: 422,
      reason: 'Invalid',
      message:
        "nodegroups.beamline.dev \"lab-big\" is forbidden: ValidatingAdmissionPolicy 'beamline-nodegroup-flavor' with binding 'beamline-nodegroup-flavor' denied request: spec.flavor: unknown flavor \"x9.huge\"; PlatformConfig beamline offers: m1.small, m1.large",
      details: {
        causes: [
          {
            field: 'spec.flavor',
            message:
              "ValidatingAdmissionPolicy 'beamline-nodegroup-flavor' with binding 'beamline-nodegroup-flavor' denied request: spec.flavor: unknown flavor \"x9.huge\"; PlatformConfig beamline offers: m1.small, m1.large",
          },
        ],
      },
    });
    assert.deepEqual(lines, ['spec.flavor: unknown flavor "x9.huge"; PlatformConfig beamline offers: m1.small, m1.large']);
    const withoutCauses = statusLines({
      code: 403,
      message: "clusters.beamline.dev \"x\" is forbidden: ValidatingAdmissionPolicy 'beamline-cluster' with binding 'beamline-cluster-binding' denied request: spec.templateRef: template is deprecated",
    });
    assert.deepEqual(withoutCauses, ['spec.templateRef: template is deprecated']);
  });

  test('a CEL message that names its own field is not prefixed again', () => {
    const [line] = statusLines({
      code: 422,
      details: { causes: [{ field: 'spec', message: 'Invalid value: "object": spec.nodeGroups: unknown flavor in group "big" (flavor "x9")' }] },
    });
    assert.equal(line, 'spec.nodeGroups: unknown flavor in group "big" (flavor "x9")');
  });

  test('a CEL rule with a field path: no "Invalid value:" left without a value', () => {
    const lines = statusLines({
      code: 422,
      message: 'NodeGroup.beamline.dev "x3-extra" is invalid: [spec.replicas: Invalid value: replicas must not be below minReplicas, spec.minReplicas: Invalid value: minReplicas must not exceed maxReplicas]',
      details: {
        causes: [
          { reason: 'FieldValueInvalid', message: 'Invalid value: replicas must not be below minReplicas', field: 'spec.replicas' },
          { reason: 'FieldValueInvalid', message: 'Invalid value: minReplicas must not exceed maxReplicas', field: 'spec.minReplicas' },
        ],
      },
    });
    assert.deepEqual(lines, ['spec.replicas: replicas must not be below minReplicas', 'spec.minReplicas: minReplicas must not exceed maxReplicas']);
  });

  test('a missing namespace is "namespace "x" not found"', () => {
    assert.deepEqual(statusLines({ code: 404, reason: 'NotFound', message: 'namespaces "physics" not found', details: { name: 'physics', kind: 'namespaces' } }), ['namespace "physics" not found']);
  });

  test('without a message it says the status code', () => {
    assert.deepEqual(statusLines({ code: 500 }), ['the API server answered 500']);
  });

  test('statusOf reads a JSON string or an object; joinLines puts several mistakes one per line', () => {
    assert.equal(statusOf('{"code":409,"message":"x"}')?.code, 409);
    assert.equal(statusOf({ code: 409 })?.code, 409);
    assert.equal(statusOf('not json'), undefined);
    assert.equal(joinLines('failed to create cluster "a"', ['spec.x: bad']), 'failed to create cluster "a": spec.x: bad');
    assert.equal(joinLines('failed to create cluster "a"', ['spec.x: bad', 'spec.y: worse']), 'failed to create cluster "a":\n  spec.x: bad\n  spec.y: worse');
  });
});
