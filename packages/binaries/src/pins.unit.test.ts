import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BINARY_NAMES, BINARY_SPECS, type GoModuleName } from './catalog.ts';
import { REQUIRED_GO } from './go-build.ts';
import { loadPins, majorMinor, parsePins, pinsHash, TOOLS_DIR, type Pins } from './pins.ts';

const fixed: Pins = { kubernetes: '1.36.3', etcd: '3.6.16', kwok: '0.8.0', helm: '3.21.4' };

describe('parsePins', () => {
  test('accepts four MAJOR.MINOR.PATCH versions and keeps only them', () => {
    assert.deepEqual(parsePins({ ...fixed, comment: 'ignored' }), fixed);
  });

  test('rejects a missing field, naming it and the source', () => {
    const { etcd: _etcd, ...withoutEtcd } = fixed;
    assert.throws(() => parsePins(withoutEtcd, 'versions.json'), {
      message: 'versions.json: field "etcd" must be a version like 1.2.3, got undefined',
    });
  });

  test('rejects a value that is not a plain semver, naming the field', () => {
    for (const [value, shown] of [
      ['v1.36.3', '"v1.36.3"'],
      ['1.36', '"1.36"'],
      ['1.36.3-rc.0', '"1.36.3-rc.0"'],
      [' 1.36.3', '" 1.36.3"'],
      [1.36, '1.36'],
    ] as const) {
      assert.throws(() => parsePins({ ...fixed, kubernetes: value }), { message: `pins: field "kubernetes" must be a version like 1.2.3, got ${shown}` });
    }
    assert.throws(() => parsePins({ ...fixed, helm: '3.21.4; rm -rf /' }), /field "helm"/);
  });

  test('rejects what is not an object', () => {
    assert.throws(() => parsePins(null, 'x.json'), { message: 'x.json: expected an object of versions' });
    assert.throws(() => parsePins('1.36.3'), /expected an object of versions/);
  });

  test('loadPins names the file it rejects', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'beamline-pins-test-'));
    try {
      const file = join(dir, 'versions.json');
      await writeFile(file, JSON.stringify({ ...fixed, kwok: 'latest' }));
      assert.throws(() => loadPins(file), { message: `${file}: field "kwok" must be a version like 1.2.3, got "latest"` });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('pinsHash', () => {
  test('is a short hex name, stable across calls, key order and extra fields', () => {
    const hash = pinsHash(fixed);
    assert.match(hash, /^[0-9a-f]{12}$/);
    assert.equal(pinsHash({ ...fixed }), hash);
    assert.equal(pinsHash({ helm: fixed.helm, kwok: fixed.kwok, etcd: fixed.etcd, kubernetes: fixed.kubernetes }), hash);
    assert.equal(pinsHash(parsePins({ ...fixed, note: 'x' })), hash);
  });

  test('does not change between releases of this code (it names existing cache folders)', () => {
    assert.equal(pinsHash(fixed), 'e302d410a5c5');
  });

  test('changes when any version changes', () => {
    const hashes = new Set([
      pinsHash(fixed),
      pinsHash({ ...fixed, kubernetes: '1.36.4' }),
      pinsHash({ ...fixed, etcd: '3.6.17' }),
      pinsHash({ ...fixed, kwok: '0.8.1' }),
      pinsHash({ ...fixed, helm: '3.21.5' }),
      // Versions swapped between fields.
      pinsHash({ ...fixed, kwok: fixed.helm, helm: fixed.kwok }),
    ]);
    assert.equal(hashes.size, 6);
  });

  test('majorMinor splits a version', () => {
    assert.deepEqual(majorMinor('1.36.3'), { major: '1', minor: '36' });
  });
});

/** The parts of a go.mod these checks need; `// comments` are dropped. */
interface GoMod {
  readonly go: string | undefined;
  readonly tools: readonly string[];
  /** Module path → version, from single-line and block `require` directives (indirect ones too). */
  readonly requires: ReadonlyMap<string, string>;
  readonly replaces: readonly { readonly from: string; readonly to: string; readonly toVersion: string | undefined }[];
}

function parseGoMod(text: string): GoMod {
  let go: string | undefined;
  const tools: string[] = [];
  const requires = new Map<string, string>();
  const replaces: { from: string; to: string; toVersion: string | undefined }[] = [];
  const directive = (verb: string, fields: readonly string[]): void => {
    if (verb === 'go') go = fields[0];
    else if (verb === 'tool' && fields[0] !== undefined) tools.push(fields[0]);
    else if (verb === 'require' && fields[0] !== undefined && fields[1] !== undefined) requires.set(fields[0], fields[1]);
    else if (verb === 'replace') {
      // `from [version] => to [version]`
      const arrow = fields.indexOf('=>');
      const from = fields[0];
      const to = fields[arrow + 1];
      assert.ok(arrow > 0 && from !== undefined && to !== undefined, `malformed replace: ${fields.join(' ')}`);
      replaces.push({ from, to, toVersion: fields[arrow + 2] });
    }
  };
  let block: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    if (block !== undefined) {
      if (line === ')') block = undefined;
      else directive(block, fields);
      continue;
    }
    const [verb = '', ...rest] = fields;
    if (rest.length === 1 && rest[0] === '(') block = verb;
    else directive(verb, rest);
  }
  return { go, tools, requires, replaces };
}

function goMod(module: GoModuleName): GoMod {
  return parseGoMod(readFileSync(join(TOOLS_DIR, module, 'go.mod'), 'utf8'));
}

describe('tools/k8s is consistent with versions.json', () => {
  const pins = loadPins();
  const modules: readonly GoModuleName[] = ['kubernetes', 'etcd', 'kwok', 'helm'];

  test('the go.mod parser reads both single-line and block forms', () => {
    const parsed = parseGoMod(
      [
        'module example.com/x // a comment',
        'go 1.26.0',
        'tool example.com/y/cmd/y',
        'require example.com/y v1.2.3',
        'require (',
        '\texample.com/z v0.1.0 // indirect',
        ')',
        'replace example.com/a => example.com/a v0.2.0',
        'replace (',
        '\texample.com/b v0.0.0 => example.com/b v0.3.0',
        '\texample.com/c => ../c',
        ')',
      ].join('\n'),
    );
    assert.equal(parsed.go, '1.26.0');
    assert.deepEqual(parsed.tools, ['example.com/y/cmd/y']);
    assert.deepEqual([...parsed.requires], [['example.com/y', 'v1.2.3'], ['example.com/z', 'v0.1.0']]);
    assert.deepEqual(parsed.replaces, [
      { from: 'example.com/a', to: 'example.com/a', toVersion: 'v0.2.0' },
      { from: 'example.com/b', to: 'example.com/b', toVersion: 'v0.3.0' },
      { from: 'example.com/c', to: '../c', toVersion: undefined },
    ]);
  });

  test('kubernetes requires k8s.io/kubernetes at the pin and replaces every staging module by v0.<minor>.<patch>', () => {
    const mod = goMod('kubernetes');
    assert.equal(mod.requires.get('k8s.io/kubernetes'), `v${pins.kubernetes}`);
    const [, minor, patch] = pins.kubernetes.split('.');
    const staging = `v0.${minor ?? ''}.${patch ?? ''}`;
    const k8sReplaces = mod.replaces.filter((replace) => replace.from.startsWith('k8s.io/'));
    for (const replace of k8sReplaces) {
      assert.equal(replace.to, replace.from, `${replace.from} is replaced by its published module`);
      assert.equal(replace.toVersion, staging, `${replace.from} => ${replace.to} ${replace.toVersion ?? ''}`);
    }
    const replaced = new Set(k8sReplaces.map((replace) => replace.from));
    for (const core of ['k8s.io/api', 'k8s.io/apimachinery', 'k8s.io/apiserver', 'k8s.io/client-go', 'k8s.io/component-base', 'k8s.io/kubectl']) {
      assert.ok(replaced.has(core), `${core} is replaced`);
    }
    // k8s.io/kubernetes requires its staging modules at v0.0.0: each must be replaced or the build fails.
    for (const [path, version] of mod.requires) {
      if (path.startsWith('k8s.io/') && version === 'v0.0.0') assert.ok(replaced.has(path), `${path} v0.0.0 has no replace`);
    }
  });

  test('etcd requires the server and the api module (which holds the version etcd prints) at the pin', () => {
    const mod = goMod('etcd');
    assert.equal(mod.requires.get('go.etcd.io/etcd/server/v3'), `v${pins.etcd}`);
    assert.equal(mod.requires.get('go.etcd.io/etcd/api/v3'), `v${pins.etcd}`);
  });

  test('kwok and helm require their module at the pin', () => {
    assert.equal(goMod('kwok').requires.get('sigs.k8s.io/kwok'), `v${pins.kwok}`);
    assert.equal(goMod('helm').requires.get('helm.sh/helm/v3'), `v${pins.helm}`);
  });

  test('every binary is a tool of its module, and every module declares the Go the build checks for', () => {
    for (const name of BINARY_NAMES) {
      const spec = BINARY_SPECS[name];
      assert.ok(goMod(spec.module).tools.includes(spec.goPackage), `${spec.goPackage} is a tool in tools/k8s/${spec.module}/go.mod`);
    }
    for (const module of modules) {
      assert.equal(majorMinor(goMod(module).go ?? '').major, String(REQUIRED_GO.major), module);
      assert.equal(majorMinor(goMod(module).go ?? '').minor, String(REQUIRED_GO.minor), module);
    }
  });
});
