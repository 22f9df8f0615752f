import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { callApi, loadManagementKubeConfig } from '../kube.ts';
import { getTemplate } from '../templates.ts';
import { age, CliError, parseOutputFormat } from '../output.ts';
import { cell, printObjects } from '../print.ts';
import { API_VERSION, CLUSTER_TEMPLATE } from '@beamline/api/names';
import { applyObject, KINDS, resourceClient, type BeamlineObject } from '../resources.ts';

interface GlobalOptions {
  readonly kubeconfig?: string;
}

const TEMPLATE_TABLE = {
  kind: CLUSTER_TEMPLATE.kind,
  headers: ['name', 'version', 'control-plane', 'node-groups', 'provider', 'clusters', 'age'],
  row: (t: BeamlineObject): string[] => {
    const spec = t.spec ?? {};
    const controlPlane = spec.controlPlane as { replicas?: number; flavor?: string } | undefined;
    const groups = (spec.nodeGroups as { name: string; replicas: number; flavor: string }[] | undefined) ?? [];
    return [
      cell(t.metadata?.name),
      cell(spec.kubernetesVersion),
      `${controlPlane?.replicas ?? '?'} x ${controlPlane?.flavor ?? '?'}`,
      groups.length === 0 ? '<none>' : groups.map((g) => `${g.name}:${g.replicas}x${g.flavor}`).join(','),
      cell(spec.provider ?? 'kwok'),
      cell(t.status?.clusters ?? 0),
      age(t.metadata?.creationTimestamp),
    ];
  },
};

/** Reads a YAML file of ClusterTemplates; anything else in it is refused, naming the document. */
export async function readTemplateFile(file: string): Promise<BeamlineObject[]> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const documents = parseAllDocuments(text);
  const objects: BeamlineObject[] = [];
  for (const [index, document] of documents.entries()) {
    if (document.errors.length > 0) {
      throw new CliError(`${file}: document ${index + 1} is not valid YAML: ${document.errors[0]?.message ?? ''}`);
    }
    const value = document.toJSON() as BeamlineObject | null;
    if (value === null) continue;
    if (value.kind !== CLUSTER_TEMPLATE.kind || value.apiVersion !== API_VERSION) {
      throw new CliError(
        `${file}: document ${index + 1} is ${value.apiVersion ?? '?'} ${value.kind ?? '?'}: \`template apply\` takes ${API_VERSION} ${CLUSTER_TEMPLATE.kind}`,
      );
    }
    if (typeof value.metadata?.name !== 'string') throw new CliError(`${file}: document ${index + 1}: metadata.name is required`);
    objects.push(value);
  }
  if (objects.length === 0) throw new CliError(`${file}: no ClusterTemplate found`);
  return objects;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `beamline template list|get|apply`. */
export function registerTemplate(program: Command): void {
  const template = program.command('template').alias('templates').description('cluster templates: the versioned recipes clusters are created from');

  template
    .command('list')
    .alias('ls')
    .description('list cluster templates')
    .option('-o, --output <format>', 'table, json, yaml or name', 'table')
    .action(async (options: { output?: string }, command: Command) => {
      const format = parseOutputFormat(options.output);
      const config = loadManagementKubeConfig(command.optsWithGlobals<GlobalOptions>().kubeconfig);
      const items = await callApi(config, 'list cluster templates', () => resourceClient(config, KINDS.clusterTemplate).list());
      items.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
      process.stdout.write(`${printObjects(items, format, TEMPLATE_TABLE)}\n`);
    });

  template
    .command('get <name>')
    .description('show one cluster template')
    .option('-o, --output <format>', 'table, json, yaml or name', 'table')
    .action(async (name: string, options: { output?: string }, command: Command) => {
      const format = parseOutputFormat(options.output);
      const config = loadManagementKubeConfig(command.optsWithGlobals<GlobalOptions>().kubeconfig);
      const item = await getTemplate(config, name);
      process.stdout.write(`${printObjects([item], format, TEMPLATE_TABLE, true)}\n`);
    });

  template
    .command('apply')
    .description('create or update cluster templates from a YAML file (server-side apply); a template in use cannot change: apply a new version instead')
    .requiredOption('-f, --filename <file>', 'YAML file with one or more ClusterTemplates (- for stdin)')
    .action(async (options: { filename: string }, command: Command) => {
      const config = loadManagementKubeConfig(command.optsWithGlobals<GlobalOptions>().kubeconfig);
      const objects = await readTemplateFile(options.filename);
      for (const object of objects) {
        const name = object.metadata?.name ?? '';
        await callApi(config, `apply cluster template "${name}"`, () => applyObject(config, object));
        process.stdout.write(`clustertemplate/${name} applied\n`);
      }
    });
}
