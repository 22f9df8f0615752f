// SourceLoader against a real git repository (file://), the real pinned kubectl kustomize and
// helm: kustomize confined to the repository, bases outside the app's folder, and the caps on what
// an app may make the manager read. No control plane, hence `.unit.test.ts`.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureBinaries } from '@beamline/binaries';
import { RenderError } from '@beamline/gitops';
import { createTestRepository, type TestRepository } from '@beamline/gitops/testing';
import { SourceLoader } from './source-loader.ts';

const BASE = {
  'apps/shop/base/kustomization.yaml': 'resources: [deployment.yaml]\n',
  'apps/shop/base/deployment.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: web}',
    'spec:',
    '  replicas: 1',
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec: {containers: [{name: web, image: nginx}]}',
    '',
  ].join('\n'),
  'apps/shop/overlays/prod/kustomization.yaml': 'resources: [../../base]\nnamePrefix: prod-\n',
  'apps/other/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n',
};

function assertRenderError(reason: RenderError['reason'], file: string | undefined, message: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof RenderError, String(error));
    assert.equal(error.reason, reason, error.message);
    if (file !== undefined) assert.equal(error.file, file);
    assert.match(error.message, message);
    return true;
  };
}

describe('SourceLoader rendering', () => {
  let root = '';
  let repository: TestRepository;
  let loader: SourceLoader;
  let renders = 0;
  const load = (path: string, revision?: string) =>
    loader.load({ repoURL: repository.fileUrl, path, targetRevision: 'main' }, { appName: 'shop', namespace: 'shop', ...(revision === undefined ? {} : { revision }) });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'source-loader-test-'));
    repository = await createTestRepository(join(root, 'repo'), BASE);
    const { paths } = await ensureBinaries();
    loader = new SourceLoader({ workDir: join(root, 'work'), tools: { helm: paths.helm, kubectl: paths.kubectl }, kubeVersion: '1.36.3', resolveTtlMs: 0, limits: { maxFiles: 50 } });
    loader.onRender = () => {
      renders += 1;
    };
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('an overlay with resources: [../../base] renders; a change to the base re-renders it, a change elsewhere does not', async () => {
    const first = await load('apps/shop/overlays/prod');
    assert.equal(first.sourceType, 'kustomize');
    assert.deepEqual(first.objects.map((object) => `${object.kind}/${object.metadata.name}`), ['Deployment/prod-web']);
    const rendered = renders;

    await repository.commit({ 'apps/other/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other2}\n' });
    const untouched = await load('apps/shop/overlays/prod');
    assert.equal(untouched.renderKey, first.renderKey);
    assert.equal(renders, rendered, 'a commit that touches neither the overlay nor its base renders nothing');

    await repository.commit({ 'apps/shop/base/deployment.yaml': BASE['apps/shop/base/deployment.yaml'].replace('replicas: 1', 'replicas: 3') });
    const changed = await load('apps/shop/overlays/prod');
    assert.notEqual(changed.renderKey, first.renderKey);
    assert.equal((changed.objects[0]?.spec as { replicas: number }).replicas, 3);
    // Nothing of an export is left behind.
    assert.deepEqual((await readdir(join(root, 'work'))).filter((name) => name.startsWith('export-')), []);
  });

  test('a kustomization reaching out of the repository fails with RenderFailed naming the file; nothing of the host is read', async () => {
    await repository.commit({
      'apps/shop/overlays/etc/kustomization.yaml': 'resources: [../../../../../../../../../../etc]\n',
      'apps/shop/overlays/up/kustomization.yaml': 'resources: [../../../../..]\n',
    });
    await assert.rejects(
      load('apps/shop/overlays/etc'),
      assertRenderError('OutsideSource', 'apps/shop/overlays/etc/kustomization.yaml', /^failed to render kustomization: apps\/shop\/overlays\/etc\/kustomization\.yaml: resources entry "(\.\.\/)+etc" leads outside the repository$/),
    );
    // The repository root itself is fine as a base; one level above it is the manager's disk.
    await assert.rejects(load('apps/shop/overlays/up'), assertRenderError('OutsideSource', 'apps/shop/overlays/up/kustomization.yaml', /resources entry "\.\.\/\.\.\/\.\.\/\.\.\/\.\." leads outside the repository/));
  });

  test('a symbolic link to a host file fails with RenderFailed naming the link, in a kustomization and in a chart', async () => {
    await repository.commit({
      'apps/shop/overlays/link/kustomization.yaml': 'resources: [../../base]\nsecretGenerator:\n- name: stolen\n  files: [passwd]\n',
      'apps/shop/overlays/link/passwd': { symlink: '/etc/passwd' },
      'apps/chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 0.1.0\n',
      'apps/chart/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {p: {{ .Files.Get "passwd" | quote }}}\n',
      'apps/chart/passwd': { symlink: '/etc/passwd' },
    });
    await assert.rejects(load('apps/shop/overlays/link'), assertRenderError('OutsideSource', 'passwd', /^failed to export "apps\/shop\/overlays\/link": symlink "passwd" points outside the folder/));
    await assert.rejects(load('apps/chart'), assertRenderError('OutsideSource', 'passwd', /^failed to export "apps\/chart": symlink "passwd" points outside the folder/));
  });

  test('a 20 MiB manifest fails before it is read, and a folder of more files than the cap fails, each naming the file', async () => {
    const files: Record<string, string> = { 'apps/huge/ok.yaml': BASE['apps/other/cm.yaml'], 'apps/huge/huge.yaml': `# ${'x'.repeat(20 * 1024 * 1024)}\n` };
    for (let index = 0; index < 51; index++) files[`apps/many/f${String(index).padStart(2, '0')}.yaml`] = '';
    files['apps/bigchart/Chart.yaml'] = 'apiVersion: v2\nname: bigchart\nversion: 0.1.0\n';
    files['apps/bigchart/files/blob.bin'] = 'y'.repeat(5 * 1024 * 1024);
    await repository.commit(files);
    await assert.rejects(load('apps/huge'), assertRenderError('LimitExceeded', 'huge.yaml', /^failed to render directory: huge\.yaml is 20 MiB, more than the limit of 4 MiB per file$/));
    await assert.rejects(load('apps/many'), assertRenderError('LimitExceeded', 'f50.yaml', /^failed to render directory: more than 50 files \(the limit of files per app\), f50\.yaml is one too many$/));
    // A chart is exported whole: checked on git's listing before the export writes anything.
    await assert.rejects(load('apps/bigchart'), assertRenderError('LimitExceeded', 'files/blob.bin', /^failed to render source: files\/blob\.bin is 5 MiB, more than the limit of 4 MiB per file/));
  });
});
