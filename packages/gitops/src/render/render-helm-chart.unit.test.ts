import assert from 'node:assert/strict';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { renderHelmChart, type HelmChartOptions } from './render-helm-chart.ts';
import { DEMO_CHART, names, rejectsWithRenderError, renderTools, tempDir, writeTree } from './testing.ts';


describe('renderHelmChart (real helm template)', () => {
  let chart = '';
  let base: HelmChartOptions;

  before(async () => {
    const { helm } = await renderTools();
    chart = join(await tempDir(), 'demo');
    await writeTree(chart, DEMO_CHART);
    base = { helm, releaseName: 'shop', namespace: 'store', kubeVersion: '1.36.3', values: { greeting: 'hello' } };
  });

  test('renders with the release name, namespace, kube version and values; CRDs in, chart tests out', async () => {
    const objects = await renderHelmChart(chart, base);
    assert.deepEqual(names(objects), ['CustomResourceDefinition/widgets.example.com', 'ConfigMap/shop-config']);
    const config = objects[1];
    assert.equal(config?.metadata.namespace, 'store');
    assert.deepEqual(config?.data, { greeting: 'hello', color: 'blue', replicas: '1', kube: 'v1.36.3' });
  });

  test('value files apply in order, inline values last', async () => {
    const objects = await renderHelmChart(chart, { ...base, valueFiles: ['values-prod.yaml'], values: { greeting: 'hi', replicas: 5 } });
    assert.deepEqual(objects[1]?.data, { greeting: 'hi', color: 'red', replicas: '5', kube: 'v1.36.3' });
  });

  test("a missing required value fails with helm's message", async () => {
    await assert.rejects(
      renderHelmChart(chart, { ...base, values: {} }),
      rejectsWithRenderError('HelmTemplateFailed', /^failed to render helm chart: execution error at \(demo\/templates\/configmap\.yaml:7:\d+\): greeting is required$/),
    );
  });

  test('values that break values.schema.json fail with the schema error, not the values', async () => {
    await assert.rejects(
      renderHelmChart(chart, { ...base, values: { greeting: 'x', replicas: -12345, color: 'secret-color' } }),
      (error: unknown) => {
        rejectsWithRenderError('HelmTemplateFailed', /^failed to render helm chart: values don't meet the specifications of the schema/)(error);
        const message = (error as Error).message;
        assert.match(message, /- at '\/replicas': minimum: got …, want 0/);
        assert.match(message, /- at '\/color': the value does not match pattern '\^\[a-z\]\+\$'/);
        assert.doesNotMatch(message, /12,?345|secret-color/);
        return true;
      },
    );
  });

  test('value files must be files inside the chart folder', async () => {
    for (const file of ['../outside.yaml', '/etc/hostname']) {
      await assert.rejects(renderHelmChart(chart, { ...base, valueFiles: [file] }), rejectsWithRenderError('InvalidValues', /is not a path inside the chart folder/));
    }
    await assert.rejects(renderHelmChart(chart, { ...base, valueFiles: ['values-nope.yaml'] }), rejectsWithRenderError('InvalidValues', /value file values-nope\.yaml not found/));
    await assert.rejects(
      renderHelmChart(chart, { ...base, values: ['not', 'an', 'object'] as unknown as Record<string, unknown> }),
      rejectsWithRenderError('InvalidValues', /values must be an object/),
    );
  });

  test('missing dependencies fail clearly, without trying the network', async () => {
    const withDependency = join(await tempDir(), 'with-dependency');
    await writeTree(withDependency, {
      ...DEMO_CHART,
      'Chart.yaml': 'apiVersion: v2\nname: with-dependency\nversion: 0.1.0\ndependencies:\n- {name: redis, version: 1.0.0, repository: https://charts.example.com}\n',
    });
    await assert.rejects(
      renderHelmChart(withDependency, base),
      rejectsWithRenderError('HelmTemplateFailed', /^failed to render helm chart: dependencies missing from charts\/: redis \(rendering runs without network/),
    );
  });

  test('a link out of the chart folder is refused (templates could read it with .Files.Get)', async () => {
    const leaky = join(await tempDir(), 'leaky');
    await writeTree(leaky, DEMO_CHART);
    await symlink('/etc/hostname', join(leaky, 'hostname.txt'));
    await assert.rejects(renderHelmChart(leaky, base), rejectsWithRenderError('HelmTemplateFailed', /^failed to render helm chart: hostname\.txt links outside the chart folder$/));
  });

  test('a chart cannot reach out of its folder: a file://../ dependency is not loaded, value files with .. are refused', async () => {
    const repo = await tempDir();
    await writeTree(repo, {
      'secret/Chart.yaml': 'apiVersion: v2\nname: secret\nversion: 0.1.0\n',
      'secret/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stolen}\n',
      'secret/values.yaml': 'x: 1\n',
      'app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- name: secret\n  version: 0.1.0\n  repository: file://../secret\n',
      'app/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n',
    });
    const options = { ...base, values: undefined };
    await assert.rejects(renderHelmChart(join(repo, 'app'), options), rejectsWithRenderError('HelmTemplateFailed', /dependencies missing from charts\/: secret/));
    await assert.rejects(renderHelmChart(join(repo, 'app'), { ...options, valueFiles: ['../secret/values.yaml'] }), rejectsWithRenderError('InvalidValues', /is not a path inside the chart folder/));
  });
});
