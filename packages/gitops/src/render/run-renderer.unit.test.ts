// How runRenderer sorts a renderer's failures: the machine's, the limit's, and the input's.
import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { RenderError } from './render-error.ts';
import { renderLimits } from './render-limits.ts';
import { runRenderer } from './run-renderer.ts';
import { tempDir } from './testing.ts';
import { ToolFailure } from './tool.ts';

const NAMES = { command: 'helm', source: 'helm chart', printer: 'helm template' };

describe('runRenderer', () => {
  let dir = '';
  const script = async (name: string, body: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  };
  before(async () => {
    dir = await tempDir();
  });

  test('returns what the renderer printed, run in the given home', async () => {
    const tool = await script('ok', 'printf "%s %s" "$1" "$HOME"');
    assert.equal(await runRenderer(tool, ['template'], NAMES, { home: dir, timeoutMs: 60_000, limits: renderLimits() }), `template ${dir}`);
  });

  test('a renderer that does not start is the machine\'s failure, not a render error', async () => {
    await assert.rejects(runRenderer(join(dir, 'missing'), [], NAMES, { home: dir, timeoutMs: 60_000, limits: renderLimits() }), (error: unknown) => {
      assert.ok(!(error instanceof RenderError) && !(error instanceof ToolFailure), String(error));
      assert.match((error as Error).message, /^failed to run helm: /);
      return true;
    });
  });

  test('output over the limit per app is a limit error naming the printer', async () => {
    // Shell builtins only: the renderer's environment has no PATH of this machine.
    const tool = await script('loud', 'i=0; while [ $i -lt 100 ]; do printf "%0100d" 0; i=$((i+1)); done');
    await assert.rejects(runRenderer(tool, [], NAMES, { home: dir, timeoutMs: 60_000, limits: renderLimits({ maxTotalBytes: 1024 }) }), (error: unknown) => {
      assert.ok(error instanceof RenderError, String(error));
      assert.equal(error.reason, 'LimitExceeded');
      assert.match(error.message, /helm template printed more than 1 KiB, the limit per app \(it was stopped\)$/);
      return true;
    });
  });

  test('a failure about the input is left to the caller', async () => {
    const tool = await script('bad', 'echo "Error: bad chart" >&2; exit 1');
    await assert.rejects(runRenderer(tool, [], NAMES, { home: dir, timeoutMs: 60_000, limits: renderLimits() }), (error: unknown) => {
      assert.ok(error instanceof ToolFailure, String(error));
      assert.equal(error.outcome, 'exited');
      return true;
    });
  });
});
