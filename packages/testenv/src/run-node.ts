import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

/** What a Node script run printed and how it ended. */
export interface NodeRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node <script> <args>` with this Node (24) as a child process, the way a user runs a
 * command, and collects what it prints. Killed after `timeoutMs`: a bound against hanging, not a
 * measurement. A run ended by a signal has code 128 (−1 if Node reports neither code nor signal).
 */
export function runNode(script: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<NodeRun> {
  return runCommand(process.execPath, [script, ...args], env, timeoutMs);
}

/**
 * Runs any program (the pinned kubectl, git) as a child process and collects what it prints, with
 * the same bound and exit codes as {@link runNode}.
 */
export function runCommand(binary: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<NodeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === null ? -1 : 128), stdout, stderr });
    });
  });
}

/** Asserts a run's exit code, showing what it printed when it differs; returns the run. */
export function expectCode<Run extends NodeRun>(run: Run, code: number): Run {
  assert.equal(run.code, code, `exit code ${run.code}, expected ${code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}
