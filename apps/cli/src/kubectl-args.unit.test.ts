import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kubectlArgs } from './kubectl-args.ts';

const argv = (...words: string[]): string[] => ['node', 'beamline.js', ...words];

test('beamline kubectl hands on every word after "kubectl" as typed', () => {
  assert.deepEqual(kubectlArgs(argv('kubectl', 'get', 'pods', '-o', 'yaml', '--help'), undefined), ['get', 'pods', '-o', 'yaml', '--help']);
  assert.deepEqual(kubectlArgs(argv('kubectl', 'get', 'ns', '-n', 'x'), 'x'), ['get', 'ns', '-n', 'x'], 'a namespace among its own arguments is not added twice');
  assert.deepEqual(kubectlArgs(argv('--kubeconfig', 'kubectl', 'kubectl', 'version'), undefined), ['version'], '"kubectl" as an option value is not the command');
});

test("a namespace given to beamline before the command word is passed on, unless kubectl's arguments name one", () => {
  assert.deepEqual(kubectlArgs(argv('-n', 'physics', 'kubectl', 'get', 'pods'), 'physics'), ['--namespace', 'physics', 'get', 'pods']);
  assert.deepEqual(kubectlArgs(argv('-n', 'physics', 'kubectl', 'get', 'pods', '-A'), 'physics'), ['get', 'pods', '-A']);
});
