import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BINARY_NAMES, BINARY_SPECS } from './catalog.ts';
import { checkGo, goBuildArgs, MissingToolError, REQUIRED_GO } from './go-build.ts';
import type { Pins } from './pins.ts';
import { writeExecutable } from './testing/fake-mirror.ts';

const pins: Pins = { kubernetes: '1.36.3', etcd: '3.6.16', kwok: '0.8.0', helm: '3.21.4' };

/** The value given to `-ldflags`, split into its `-X` assignments. */
function stamps(args: readonly string[]): string[] {
  const ldflags = args[args.indexOf('-ldflags') + 1];
  assert.ok(ldflags !== undefined, args.join(' '));
  assert.match(ldflags, /^-s -w( -X \S+=\S+)*$/);
  return [...ldflags.matchAll(/-X (\S+)/g)].map((match) => match[1] ?? '');
}

describe('goBuildArgs', () => {
  test('stamps kube-apiserver with the Kubernetes version and builds its package', () => {
    const args = goBuildArgs('kube-apiserver', pins, '/out/kube-apiserver.partial');
    assert.equal(args[0], 'build');
    assert.ok(args.includes('-trimpath'));
    assert.equal(args[args.indexOf('-o') + 1], '/out/kube-apiserver.partial');
    assert.equal(args.at(-1), 'k8s.io/kubernetes/cmd/kube-apiserver');
    const assignments = stamps(args);
    for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
      assert.ok(assignments.includes(`${pkg}.gitVersion=v1.36.3`), assignments.join('\n'));
      assert.ok(assignments.includes(`${pkg}.gitMajor=1`), assignments.join('\n'));
      assert.ok(assignments.includes(`${pkg}.gitMinor=36`), assignments.join('\n'));
    }
    assert.ok(args.join(' ').includes('-X k8s.io/component-base/version.gitVersion=v1.36.3'));
  });

  test('stamps helm with its version and the Kubernetes minor its templates render for', () => {
    const args = goBuildArgs('helm', pins, '/out/helm');
    assert.equal(args.at(-1), 'helm.sh/helm/v3/cmd/helm');
    const assignments = stamps(args);
    assert.ok(assignments.includes('helm.sh/helm/v3/internal/version.version=v3.21.4'), assignments.join('\n'));
    assert.ok(assignments.includes('helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1'), assignments.join('\n'));
    assert.ok(assignments.includes('helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=36'), assignments.join('\n'));
  });

  test('builds every binary from its spec package, at the output path', () => {
    for (const name of BINARY_NAMES) {
      const args = goBuildArgs(name, pins, `/out/${name}`);
      assert.equal(args.at(-1), BINARY_SPECS[name].goPackage, name);
      assert.equal(args[args.indexOf('-o') + 1], `/out/${name}`, name);
    }
    assert.deepEqual(stamps(goBuildArgs('etcd', pins, '/out/etcd')), [], 'etcd has its version compiled in');
    assert.ok(stamps(goBuildArgs('kwokctl', pins, '/out/kwokctl')).includes('sigs.k8s.io/kwok/pkg/consts.Version=0.8.0'));
  });
});

describe('checkGo', () => {
  let dir = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'beamline-go-build-test-'));
  });

  after(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  async function fakeGo(name: string, versionLine: string): Promise<string> {
    const path = join(dir, name);
    await writeExecutable(path, `#!/bin/sh\necho '${versionLine}'\n`);
    return path;
  }

  test('without Go, says what to install and how to do without it', async () => {
    await assert.rejects(checkGo('/nonexistent/go'), (error: unknown) => {
      assert.ok(error instanceof MissingToolError, String(error));
      assert.equal(error.name, 'MissingToolError');
      assert.ok(error.message.includes(`go ${REQUIRED_GO.major}.${REQUIRED_GO.minor} or newer`), error.message);
      assert.ok(error.message.includes('https://go.dev/doc/install'), error.message);
      assert.ok(error.message.includes('BEAMLINE_BIN_DIR'), error.message);
      assert.ok(error.message.includes('BEAMLINE_DOWNLOAD_MIRROR'), error.message);
      return true;
    });
  });

  test('with an old Go, says to upgrade it', async () => {
    const go = await fakeGo('go-old', 'go version go1.20.1 linux/amd64');
    await assert.rejects(checkGo(go), (error: unknown) => {
      assert.ok(error instanceof MissingToolError, String(error));
      assert.ok(error.message.includes('found "go version go1.20.1 linux/amd64"'), error.message);
      assert.match(error.message, /upgrade Go/);
      assert.ok(error.message.includes('BEAMLINE_BIN_DIR'), error.message);
      assert.ok(error.message.includes('BEAMLINE_DOWNLOAD_MIRROR'), error.message);
      return true;
    });
  });

  test('accepts the required Go and newer, returning the version line', async () => {
    const required = `go version go${REQUIRED_GO.major}.${REQUIRED_GO.minor}.0 linux/amd64`;
    assert.equal(await checkGo(await fakeGo('go-required', required)), required);
    const newer = `go version go${REQUIRED_GO.major}.${REQUIRED_GO.minor + 1}rc1 linux/arm64`;
    assert.equal(await checkGo(await fakeGo('go-newer', newer)), newer);
  });
});
