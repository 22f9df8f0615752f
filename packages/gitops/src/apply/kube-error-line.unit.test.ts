import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KubeApiError } from '@beamline/kube';
import { ERROR_LINE_MAX, kubeErrorLine, summarizeStatusMessage } from './kube-error-line.ts';

// What kube-apiserver answers when a Job's template changes: the whole PodTemplateSpec as Go's %#v.
const podTemplateDump =
  'core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{Name:"", GenerateName:"", Namespace:"", SelfLink:"", UID:"", ResourceVersion:"", Generation:0, ' +
  'CreationTimestamp:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC), DeletionTimestamp:<nil>, Labels:map[string]string{"batch.kubernetes.io/controller-uid":"1b2c", ' +
  '"job-name":"migrate"}, Annotations:map[string]string{"note":"a: b, c: Invalid value: d"}}, Spec:core.PodSpec{Volumes:[]core.Volume(nil), ' +
  'Containers:[]core.Container{core.Container{Name:"migrate", Image:"busybox:2", Command:[]string{"sh", "-c", "echo {done}: ok"}, ' +
  `${'Env:[]core.EnvVar(nil), '.repeat(120)}` +
  'TerminationMessagePath:"/dev/termination-log"}}, RestartPolicy:"Never"}}';

function apiError(code: number, reason: string, message: string): KubeApiError {
  return new KubeApiError(`failed to PATCH /apis/batch/v1/namespaces/team-a/jobs/migrate: ${code} ${reason}: ${message}`, code, reason);
}

describe('kubeErrorLine', () => {
  test('an immutable Job template: field and reason, no struct dump', () => {
    const message = `Job.batch "migrate" is invalid: spec.template: Invalid value: ${podTemplateDump}: field is immutable`;
    assert.ok(message.length > 3000);
    assert.equal(kubeErrorLine(apiError(422, 'Invalid', message)), '422 Invalid: spec.template: field is immutable');
  });

  test('several field errors, details with commas, short values kept', () => {
    const message =
      'Service "web" is invalid: [spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive, ' +
      'spec.ports[0].name: Required value, spec.type: Unsupported value: "Balancer": supported values: "ClusterIP", "NodePort"]';
    assert.equal(
      kubeErrorLine(apiError(422, 'Invalid', message)),
      '422 Invalid: spec.ports[0].port: must be between 1 and 65535, inclusive (got 70000); spec.ports[0].name: required value; ' +
        'spec.type: supported values: "ClusterIP", "NodePort" (got "Balancer")',
    );
  });

  test('a Forbidden field error keeps its detail', () => {
    assert.equal(
      summarizeStatusMessage('StatefulSet.apps "db" is invalid: spec: Forbidden: updates to statefulset spec for fields other than \'replicas\' are forbidden'),
      "spec: updates to statefulset spec for fields other than 'replicas' are forbidden",
    );
  });

  test('other API errors keep their message after the status; non-API errors their first line', () => {
    assert.equal(kubeErrorLine(apiError(403, 'Forbidden', 'jobs.batch "migrate" is forbidden: User "x" cannot patch resource')), '403 Forbidden: jobs.batch "migrate" is forbidden: User "x" cannot patch resource');
    assert.equal(kubeErrorLine(new Error('failed to GET /api/v1: connect ECONNREFUSED 127.0.0.1:1\n    at stack')), 'failed to GET /api/v1: connect ECONNREFUSED 127.0.0.1:1');
    assert.equal(kubeErrorLine('plain'), 'plain');
  });

  test('never longer than the limit', () => {
    const line = kubeErrorLine(new Error('x'.repeat(10_000)));
    assert.equal(line.length, ERROR_LINE_MAX);
    const many = Array.from({ length: 100 }, (_, index) => `spec.containers[${index}].image: Required value`).join(', ');
    assert.ok(kubeErrorLine(apiError(422, 'Invalid', `Pod "p" is invalid: [${many}]`)).length <= ERROR_LINE_MAX);
  });
});
