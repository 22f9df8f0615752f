import assert from 'node:assert/strict';
// Builders shared by the render tests; not exported from the package.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { ensureBinaries } from '@beamline/binaries';
import { RenderError } from './render-error.ts';

const tempDirs: string[] = [];
// Registered once, at the top level: an `after` called inside a hook would run when the hook ends.
after(() => Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true }))));

/** A fresh temporary folder, removed when the test file ends. */
export async function tempDir(prefix = 'render-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Writes `files` (path relative to `root` → content) under `root`, creating folders. */
export async function writeTree(root: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

/** The real helm and kubectl (pinned, from the binaries cache). */
export async function renderTools(): Promise<{ readonly helm: string; readonly kubectl: string }> {
  const { paths } = await ensureBinaries();
  return { helm: paths.helm, kubectl: paths.kubectl };
}

/** A ConfigMap manifest, as YAML. */
export function configMapYaml(name: string, extra = ''): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;
}

/** `kind/name` of each object, for compact assertions. */
export function names(objects: readonly { readonly kind: string; readonly metadata: { readonly name: string } }[]): string[] {
  return objects.map((object) => `${object.kind}/${object.metadata.name}`);
}

/**
 * A small chart: a ConfigMap that needs `greeting` (`required`), a values.schema.json that wants
 * `replicas` to be a non-negative integer and `color` lowercase letters, a CRD in `crds/`, a test hook (left out by --skip-tests), and a
 * value file `values-prod.yaml`.
 */
export const DEMO_CHART: Readonly<Record<string, string>> = {
  'Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 0.1.0\n',
  'values.yaml': 'replicas: 1\ncolor: blue\n',
  'values-prod.yaml': 'color: red\nreplicas: 3\n',
  'values.schema.json': JSON.stringify({
    type: 'object',
    properties: { replicas: { type: 'integer', minimum: 0 }, color: { type: 'string', pattern: '^[a-z]+$' } },
  }),
  'templates/configmap.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: {{ .Release.Name }}-config',
    '  namespace: {{ .Release.Namespace }}',
    'data:',
    '  greeting: {{ required "greeting is required" .Values.greeting | quote }}',
    '  color: {{ .Values.color | quote }}',
    '  replicas: {{ .Values.replicas | quote }}',
    '  kube: {{ .Capabilities.KubeVersion.Version | quote }}',
    '',
  ].join('\n'),
  'templates/tests/test-pod.yaml': [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: {{ .Release.Name }}-test',
    '  annotations: {"helm.sh/hook": test}',
    'spec: {containers: [{name: t, image: busybox}]}',
    '',
  ].join('\n'),
  'crds/widgets.yaml': [
    'apiVersion: apiextensions.k8s.io/v1',
    'kind: CustomResourceDefinition',
    'metadata: {name: widgets.example.com}',
    'spec:',
    '  group: example.com',
    '  names: {kind: Widget, plural: widgets}',
    '  scope: Namespaced',
    '  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]',
    '',
  ].join('\n'),
};

/** An `assert.rejects` matcher: a {@link RenderError} with this reason and a message matching `message`. */
export function rejectsWithRenderError(reason: RenderError['reason'], message: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof RenderError, String(error));
    assert.equal(error.reason, reason);
    assert.match(error.message, message);
    return true;
  };
}
