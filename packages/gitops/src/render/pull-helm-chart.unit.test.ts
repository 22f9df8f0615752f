import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, copyFile, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pullHelmChart } from './pull-helm-chart.ts';
import { renderHelmChart } from './render-helm-chart.ts';
import { DEMO_CHART, names, rejectsWithRenderError, renderTools, tempDir, writeTree } from './testing.ts';
import { isolatedEnv, runTool, withPrivateHome } from './tool.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on: a server's, once closed. */
async function closedPort(): Promise<number> {
  const { server } = await listen(() => undefined);
  const { port } = server.address() as AddressInfo;
  await close(server);
  return port;
}

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * The read side of an OCI registry for one chart (`/v2/<repository>/manifests/<tag>` and its blobs),
 * as `helm push` would have left it.
 */
function ociRegistry(repository: string, tag: string, archive: Buffer, chartJson: string): Handler {
  const config = Buffer.from(chartJson);
  const blobs = new Map([
    [sha256(config), config],
    [sha256(archive), archive],
  ]);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: sha256(archive), size: archive.length }],
  });
  return (request, response) => {
    const url = request.url ?? '';
    let body: Buffer | undefined;
    let type = 'application/octet-stream';
    if (url === '/v2/' || url === '/v2') body = Buffer.from('{}');
    else if (url === `/v2/${repository}/manifests/${tag}` || url === `/v2/${repository}/manifests/${sha256(manifest)}`) {
      body = Buffer.from(manifest);
      type = 'application/vnd.oci.image.manifest.v1+json';
      response.setHeader('Docker-Content-Digest', sha256(manifest));
    } else if (url.startsWith(`/v2/${repository}/blobs/`)) body = blobs.get(url.slice(`/v2/${repository}/blobs/`.length));
    if (body === undefined) {
      response.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
      return;
    }
    response.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
}

/** `handler` behind HTTP basic auth: 401 with a challenge unless the request carries `user:password`. */
function basicAuth(credentials: { username: string; password: string }, handler: Handler): Handler {
  const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  return (request, response) => {
    if (request.headers.authorization !== expected) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"', 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    handler(request, response);
  };
}

describe('pullHelmChart (real helm pull)', () => {
  let helm = '';
  let repository = '';
  let repoUrl = '';
  let archive = Buffer.alloc(0);
  const servers: Server[] = [];

  before(async () => {
    helm = (await renderTools()).helm;
    const sources = await tempDir();
    repository = await tempDir();
    for (const version of ['0.1.0', '0.2.0']) {
      await writeTree(join(sources, version), { ...DEMO_CHART, 'Chart.yaml': `apiVersion: v2\nname: demo\nversion: ${version}\n` });
    }
    const { server, url } = await listen((request, response) => {
      const path = normalize(decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/'));
      readFile(join(repository, path)).then(
        (body) => response.writeHead(200).end(body),
        () => response.writeHead(404).end('not found'),
      );
    });
    servers.push(server);
    repoUrl = url;
    await withPrivateHome(async (home) => {
      const run = { env: isolatedEnv(home, 'none'), timeoutMs: 60_000 };
      for (const version of ['0.1.0', '0.2.0']) await runTool(helm, ['package', join(sources, version), '--destination', repository], run);
      await runTool(helm, ['repo', 'index', repository, '--url', repoUrl], run);
    });
    archive = await readFile(join(repository, 'demo-0.1.0.tgz'));
  });

  after(() => Promise.all(servers.map(close)));

  test('pulls a chart version from an HTTP repository, ready to render', async () => {
    const target = await tempDir();
    const pulled = await pullHelmChart({ helm, repoUrl, chart: 'demo', version: '0.1.0', targetDir: target });
    assert.deepEqual(pulled, { dir: join(target, 'demo'), name: 'demo', version: '0.1.0' });
    const objects = await renderHelmChart(pulled.dir, { helm, releaseName: 'r', namespace: 'apps', kubeVersion: 'v1.36.3', values: { greeting: 'hi' } });
    assert.deepEqual(names(objects), ['CustomResourceDefinition/widgets.example.com', 'ConfigMap/r-config']);
  });

  test('a version constraint resolves to the newest match and says which', async () => {
    const pulled = await pullHelmChart({ helm, repoUrl, chart: 'demo', version: '~0.2', targetDir: await tempDir() });
    assert.equal(pulled.version, '0.2.0');
  });

  test('a missing version or chart is ChartNotFound', async () => {
    const targetDir = await tempDir();
    await assert.rejects(
      pullHelmChart({ helm, repoUrl, chart: 'demo', version: '9.9.9', targetDir }),
      rejectsWithRenderError('ChartNotFound', /^failed to pull helm chart demo 9\.9\.9: chart "demo" version "9\.9\.9" not found/),
    );
    await assert.rejects(pullHelmChart({ helm, repoUrl, chart: 'nope', version: '1.0.0', targetDir }), rejectsWithRenderError('ChartNotFound', /chart "nope" version "1\.0\.0" not found/));
  });

  test('a repository that cannot be reached or read is RepositoryUnreachable, credentials redacted', async () => {
    const targetDir = await tempDir();
    const port = await closedPort();
    await assert.rejects(pullHelmChart({ helm, repoUrl: `http://robot:s3cret@127.0.0.1:${port}`, chart: 'demo', version: '0.1.0', targetDir }), (error: unknown) => {
      rejectsWithRenderError('RepositoryUnreachable', /cannot be reached: .*connection refused/s)(error);
      assert.doesNotMatch((error as Error).message, /s3cret/);
      return true;
    });
    await assert.rejects(
      pullHelmChart({ helm, repoUrl: `${repoUrl}/no-repository-here`, chart: 'demo', version: '0.1.0', targetDir }),
      rejectsWithRenderError('RepositoryUnreachable', /is not a valid chart repository or cannot be reached: .*404/s),
    );
  });

  test('pulls from an OCI registry, and tells a missing tag from an unreachable registry', async () => {
    const { server, url } = await listen(ociRegistry('charts/demo', '0.1.0', archive, JSON.stringify({ apiVersion: 'v2', name: 'demo', version: '0.1.0' })));
    servers.push(server);
    const ociUrl = `${url.replace('http://', 'oci://')}/charts`;
    const pulled = await pullHelmChart({ helm, repoUrl: ociUrl, chart: 'demo', version: '0.1.0', plainHttp: true, targetDir: await tempDir() });
    assert.equal(pulled.version, '0.1.0');
    await assert.rejects(
      pullHelmChart({ helm, repoUrl: ociUrl, chart: 'demo', version: '9.9.9', plainHttp: true, targetDir: await tempDir() }),
      rejectsWithRenderError('ChartNotFound', /not found|manifest unknown/),
    );
    await assert.rejects(
      pullHelmChart({ helm, repoUrl: `oci://127.0.0.1:${await closedPort()}/charts`, chart: 'demo', version: '0.1.0', plainHttp: true, targetDir: await tempDir() }),
      rejectsWithRenderError('RepositoryUnreachable', /connection refused/),
    );
  });

  test('credentials reach helm through private files, never its command line (repository and OCI registry)', async () => {
    const credentials = { username: 'robot', password: 'pr1vate-s3cret' };
    // A helm that logs its arguments (what `ps` shows) before running the real one.
    const bin = await tempDir();
    const argvLog = join(bin, 'argv.log');
    const loggingHelm = join(bin, 'helm');
    await writeFile(loggingHelm, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${helm}' "$@"\n`);
    await chmod(loggingHelm, 0o755);

    const privateRepository = await tempDir();
    const { server, url } = await listen(
      basicAuth(credentials, (request, response) => {
        const path = normalize(decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/'));
        readFile(join(privateRepository, path)).then(
          (body) => response.writeHead(200).end(body),
          () => response.writeHead(404).end('not found'),
        );
      }),
    );
    servers.push(server);
    await copyFile(join(repository, 'demo-0.1.0.tgz'), join(privateRepository, 'demo-0.1.0.tgz'));
    await withPrivateHome((home) => runTool(helm, ['repo', 'index', privateRepository, '--url', url], { env: isolatedEnv(home, 'none'), timeoutMs: 60_000 }));

    const pulled = await pullHelmChart({ helm: loggingHelm, repoUrl: url, chart: 'demo', version: '0.1.0', credentials, targetDir: await tempDir() });
    assert.equal(pulled.version, '0.1.0');
    const withUserinfo = url.replace('http://', `http://${credentials.username}:${credentials.password}@`);
    assert.equal((await pullHelmChart({ helm: loggingHelm, repoUrl: withUserinfo, chart: 'demo', version: '0.1.0', targetDir: await tempDir() })).version, '0.1.0');
    await assert.rejects(pullHelmChart({ helm: loggingHelm, repoUrl: url, chart: 'demo', version: '0.1.0', targetDir: await tempDir() }), rejectsWithRenderError('RepositoryUnreachable', /401/));

    const registry = await listen(basicAuth(credentials, ociRegistry('charts/demo', '0.1.0', archive, JSON.stringify({ apiVersion: 'v2', name: 'demo', version: '0.1.0' }))));
    servers.push(registry.server);
    const ociUrl = `${registry.url.replace('http://', 'oci://')}/charts`;
    assert.equal((await pullHelmChart({ helm: loggingHelm, repoUrl: ociUrl, chart: 'demo', version: '0.1.0', plainHttp: true, credentials, targetDir: await tempDir() })).version, '0.1.0');
    await assert.rejects(pullHelmChart({ helm: loggingHelm, repoUrl: ociUrl, chart: 'demo', version: '0.1.0', plainHttp: true, targetDir: await tempDir() }));

    const argv = await readFile(argvLog, 'utf8');
    assert.match(argv, /^pull /m);
    assert.ok(!argv.includes(credentials.password), argv);
    assert.ok(!argv.includes(Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')), argv);
  });

  test('refuses what is not a chart name or a repository URL before running helm', async () => {
    const targetDir = await tempDir();
    await assert.rejects(pullHelmChart({ helm, repoUrl, chart: '../demo', version: '0.1.0', targetDir }), rejectsWithRenderError('ChartNotFound', /not a chart name/));
    await assert.rejects(pullHelmChart({ helm, repoUrl: 'file:///etc', chart: 'demo', version: '0.1.0', targetDir }), rejectsWithRenderError('RepositoryUnreachable', /unsupported repository url scheme file:/));
  });
});
