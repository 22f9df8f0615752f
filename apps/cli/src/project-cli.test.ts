// `beamline project` run as a user runs it (a child process) against a real API server with the
// Beamline API installed. No controller runs: the commands are about the Project objects.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { type Project } from '@beamline/api';
import { installApi } from '@beamline/install';
import { clientFor } from '@beamline/kube';
import { expectCode, runNode, uniqueName, useTestEnv, type NodeRun } from '@beamline/testenv';

const env = useTestEnv('project-cli');
const CLI_BIN = fileURLToPath(new URL('../bin/beamline.js', import.meta.url));
const PROJECTS = { apiVersion: 'beamline.dev/v1alpha1', kind: 'Project', plural: 'projects', namespaced: false } as const;

let cliEnv: NodeJS.ProcessEnv = {};
const cli = (...args: string[]): Promise<NodeRun> => runNode(CLI_BIN, args, cliEnv);

describe('beamline project', () => {
  const name = uniqueName('cli');
  before(async () => {
    await installApi(env.kubeConfig, { probeNamespace: env.namespace });
    cliEnv = { ...process.env, KUBECONFIG: env.kubeconfigPath, BEAMLINE_HOME: `${env.kubeconfigPath}.home` };
  });
  after(async () => {
    await clientFor(env.kubeConfig).delete(PROJECTS, name).catch(() => undefined);
  });

  test('create, get -o yaml, list and delete', async () => {
    const created = expectCode(await cli('project', 'create', name, '--display-name', 'Neutron Physics', '--owner', 'alice@lab.org', '--member', 'group:physics', '--viewer', 'bob@lab.org'), 0);
    assert.equal(created.stdout, `project/${name} created\n`);
    const project = parse(expectCode(await cli('project', 'get', name, '-o', 'yaml'), 0).stdout) as Project;
    assert.equal(project.spec.displayName, 'Neutron Physics');
    assert.deepEqual(project.spec.members, [
      { kind: 'User', name: 'alice@lab.org', role: 'owner' },
      { kind: 'Group', name: 'physics', role: 'member' },
      { kind: 'User', name: 'bob@lab.org', role: 'viewer' },
    ]);
    const table = expectCode(await cli('project', 'list'), 0).stdout;
    assert.match(table, /^NAME\s+DISPLAY-NAME\s+NAMESPACE\s+MEMBERS/);
    assert.match(table, new RegExp(`^${name}\\s+Neutron Physics\\s+<none>\\s+3\\s`, 'm'));
    assert.equal(expectCode(await cli('project', 'list', '-o', 'name'), 0).stdout.split('\n').includes(`project/${name}`), true);
    assert.equal(expectCode(await cli('project', 'delete', name), 0).stdout, `project/${name} deleted\n`);
    const gone = expectCode(await cli('project', 'get', name), 1);
    assert.match(gone.stderr, new RegExp(`get project "${name}": not found`));
  });

  test('bad input is refused before the API with exit 2, naming what is wrong', async () => {
    assert.match(expectCode(await cli('project', 'create', 'Physics!', '--owner', 'a'), 2).stderr, /invalid project name "Physics!"/);
    assert.match(expectCode(await cli('project', 'create', 'p', '--member', 'a'), 2).stderr, /a project needs an owner/);
    assert.match(expectCode(await cli('project', 'create', 'p', '--owner', 'a', '--viewer', 'a'), 2).stderr, /user "a" is given twice/);
    assert.match(expectCode(await cli('project', 'list', '-o', 'xml'), 2).stderr, /invalid value "xml" for -o\/--output/);
  });

  test('an existing project is a conflict, not a crash', async () => {
    const other = `${name}-x`;
    try {
      expectCode(await cli('project', 'create', other, '--owner', 'alice@lab.org'), 0);
      const again = expectCode(await cli('project', 'create', other, '--owner', 'alice@lab.org'), 1);
      assert.match(again.stderr, /failed to create project/);
      assert.match(again.stderr, /already exists/);
    } finally {
      await clientFor(env.kubeConfig).delete(PROJECTS, other).catch(() => undefined);
    }
  });
});
