import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { expectCode, runNode } from './run-node.ts';

describe('runNode', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'run-node-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('collects stdout, stderr, the exit code and passes arguments and environment', async () => {
    const script = join(dir, 'echo.js');
    await writeFile(script, "process.stdout.write(process.argv.slice(2).join(' ')); process.stderr.write(process.env.RUN_NODE_TEST ?? ''); process.exit(3);\n");
    const run = await runNode(script, ['a', 'b'], { RUN_NODE_TEST: 'env seen' });
    assert.deepEqual(run, { code: 3, stdout: 'a b', stderr: 'env seen' });
    assert.equal(expectCode(run, 3), run);
    assert.throws(() => expectCode(run, 0), /exit code 3, expected 0\nstdout: a b\nstderr: env seen/);
  });

  test('a run that outlives its bound is killed and ends with code 128', async () => {
    const script = join(dir, 'hang.js');
    await writeFile(script, 'setInterval(() => undefined, 1000);\n');
    const run = await runNode(script, [], {}, 100);
    assert.equal(run.code, 128);
  });
});
