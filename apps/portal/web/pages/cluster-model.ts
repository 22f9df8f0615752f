/**
 * The Clusters pages' pure parts, unit-tested in Node (apps/portal/src/cluster-model.unit.test.ts):
 * the node-group drafts of the create form and their local checks (the CRD's rules: DNS labels,
 * 0–1000, min ≤ replicas ≤ max, label and taint syntax), the Cluster the form sends, where the
 * apiserver's causes show, and the exec-plugin kubeconfig the detail page downloads.
 */
import type { Flavor, Taint } from '../types.ts';

/** The CRDs' patterns (api/v1alpha1/common.ts), repeated: the browser bundle must not import server modules. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
/** The replica bounds of the schema. */
export const MAX_REPLICAS = 1000;

/** A node group as a ClusterTemplate or a Cluster's `spec.nodeGroups` holds it. */
export interface NodeGroupSpec {
  readonly name: string;
  readonly flavor: string;
  readonly replicas: number;
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
  readonly zones?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly Taint[];
  readonly role?: string;
}

/** A group as the form holds it: every field as typed. `fromTemplate`: the template has a group of this name (it cannot be removed, only overridden). */
export interface NodeGroupDraft {
  readonly key: string;
  readonly fromTemplate: boolean;
  readonly name: string;
  readonly flavor: string;
  readonly replicas: string;
  readonly min: string;
  readonly max: string;
  readonly zones: string;
  readonly labels: string;
  readonly taints: string;
  /** Kept from the template as it is; the editor does not offer it. */
  readonly role?: string;
}

/** The fields of a draft the editor shows problems for. */
export type DraftField = 'name' | 'flavor' | 'replicas' | 'min' | 'max' | 'zones' | 'labels' | 'taints' | 'group';

/** Problems per field of one group. */
export type GroupProblems = Partial<Record<DraftField, string[]>>;

let nextKey = 0;

/** A template's group as a draft. */
export function draftOf(group: NodeGroupSpec, fromTemplate: boolean): NodeGroupDraft {
  nextKey += 1;
  return {
    key: `g${nextKey}`,
    fromTemplate,
    name: group.name,
    flavor: group.flavor,
    replicas: String(group.replicas),
    min: group.minReplicas === undefined ? '' : String(group.minReplicas),
    max: group.maxReplicas === undefined ? '' : String(group.maxReplicas),
    zones: (group.zones ?? []).join(', '),
    labels: Object.entries(group.labels ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join('\n'),
    taints: (group.taints ?? []).map((taint) => `${taint.key}${taint.value === undefined ? '' : `=${taint.value}`}:${taint.effect}`).join('\n'),
    ...(group.role === undefined ? {} : { role: group.role }),
  };
}

/** An empty new group. */
export function newDraft(flavor: string, taken: readonly string[]): NodeGroupDraft {
  let index = 1;
  while (taken.includes(`extra-${index}`)) index += 1;
  return draftOf({ name: `extra-${index}`, flavor, replicas: 1 }, false);
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** "a, b" as ["a", "b"]. */
function zonesOf(text: string): string[] {
  return text
    .split(',')
    .map((zone) => zone.trim())
    .filter((zone) => zone !== '');
}

/** A whole number from 0 to 1000, or a problem; '' is `undefined` (absent). */
function countOf(text: string): { value?: number; problem?: string } {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  if (!/^\d+$/.test(trimmed)) return { problem: 'a whole number from 0 to 1000' };
  const value = Number(trimmed);
  if (value > MAX_REPLICAS) return { problem: `at most ${MAX_REPLICAS}` };
  return { value };
}

function labelKeyProblem(key: string): string | undefined {
  if (key.length > 316 || !LABEL_KEY.test(key)) return `"${key}" is not a label key ([prefix/]name: letters, digits, -, _, .; name at most 63 characters)`;
  return undefined;
}

function labelValueProblem(value: string): string | undefined {
  if (value.length > 63 || !LABEL_VALUE.test(value)) return `"${value}" is not a label value (at most 63 letters, digits, -, _, ., starting and ending with a letter or digit)`;
  return undefined;
}

/** `key=value` lines as labels, and the problems of the lines that are not. */
function labelsOf(text: string): { labels: Record<string, string>; problems: string[] } {
  const labels: Record<string, string> = {};
  const problems: string[] = [];
  for (const line of lines(text)) {
    const at = line.indexOf('=');
    if (at === -1) {
      problems.push(`"${line}" is not key=value`);
      continue;
    }
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem !== undefined) problems.push(problem);
    else if (key in labels) problems.push(`"${key}" is given twice`);
    else labels[key] = value;
  }
  return { labels, problems };
}

/** `key=value:Effect` (or `key:Effect`) lines as taints, and the problems of the lines that are not. */
function taintsOf(text: string): { taints: Taint[]; problems: string[] } {
  const taints: Taint[] = [];
  const problems: string[] = [];
  for (const line of lines(text)) {
    const colon = line.lastIndexOf(':');
    const effect = colon === -1 ? '' : line.slice(colon + 1).trim();
    if (!(EFFECTS as readonly string[]).includes(effect)) {
      problems.push(`"${line}" is not key=value:Effect (Effect: ${EFFECTS.join(', ')})`);
      continue;
    }
    const head = line.slice(0, colon);
    const at = head.indexOf('=');
    const key = (at === -1 ? head : head.slice(0, at)).trim();
    const value = at === -1 ? undefined : head.slice(at + 1).trim();
    const problem = labelKeyProblem(key) ?? (value === undefined ? undefined : labelValueProblem(value));
    if (problem !== undefined) problems.push(problem);
    else if (taints.some((taint) => taint.key === key && taint.effect === effect)) problems.push(`"${key}:${effect}" is given twice (taints are unique by key and effect)`);
    else taints.push({ key, ...(value === undefined || value === '' ? {} : { value }), effect: effect as Taint['effect'] });
  }
  return { taints, problems };
}

/**
 * A draft as a `spec.nodeGroups` entry, and its problems by field: what the CRD's schema and CEL
 * rules would refuse, found before asking the server. `names`: every group's name, for uniqueness.
 */
export function checkDraft(draft: NodeGroupDraft, names: readonly string[], flavors: readonly Flavor[] | undefined): { group: NodeGroupSpec; problems: GroupProblems } {
  const problems: GroupProblems = {};
  const add = (field: DraftField, problem: string): void => {
    (problems[field] ??= []).push(problem);
  };
  const name = draft.name.trim();
  if (name === '') add('name', 'required');
  else if (name.length > 63 || !DNS_LABEL.test(name)) add('name', 'a DNS label: lower-case letters, digits and -, at most 63 characters, starting and ending with a letter or digit');
  else if (names.filter((other) => other.trim() === name).length > 1) add('name', 'node group names must be unique');
  if (draft.flavor === '') add('flavor', 'required');
  else if (flavors !== undefined && !flavors.some((flavor) => flavor.name === draft.flavor)) add('flavor', `${draft.flavor} is not a flavor of this platform`);
  const replicas = countOf(draft.replicas);
  const min = countOf(draft.min);
  const max = countOf(draft.max);
  if (draft.replicas.trim() === '') add('replicas', 'required');
  if (replicas.problem !== undefined) add('replicas', replicas.problem);
  if (min.problem !== undefined) add('min', min.problem);
  if (max.problem !== undefined) add('max', max.problem);
  if (replicas.value !== undefined && min.value !== undefined && replicas.value < min.value) add('replicas', 'replicas must not be below minReplicas');
  if (replicas.value !== undefined && max.value !== undefined && replicas.value > max.value) add('replicas', 'replicas must not exceed maxReplicas');
  if (min.value !== undefined && max.value !== undefined && min.value > max.value) add('min', 'minReplicas must not exceed maxReplicas');
  const zones = zonesOf(draft.zones);
  for (const zone of zones) {
    const problem = labelValueProblem(zone);
    if (problem !== undefined) add('zones', problem);
  }
  if (new Set(zones).size !== zones.length) add('zones', 'a zone is given twice');
  if (zones.length > 32) add('zones', 'at most 32 zones');
  const labels = labelsOf(draft.labels);
  for (const problem of labels.problems) add('labels', problem);
  const taints = taintsOf(draft.taints);
  for (const problem of taints.problems) add('taints', problem);
  if (taints.taints.length > 32) add('taints', 'at most 32 taints');
  const group: NodeGroupSpec = {
    name,
    flavor: draft.flavor,
    replicas: replicas.value ?? 0,
    ...(min.value === undefined ? {} : { minReplicas: min.value }),
    ...(max.value === undefined ? {} : { maxReplicas: max.value }),
    ...(zones.length === 0 ? {} : { zones }),
    ...(Object.keys(labels.labels).length === 0 ? {} : { labels: labels.labels }),
    ...(taints.taints.length === 0 ? {} : { taints: taints.taints }),
    ...(draft.role === undefined ? {} : { role: draft.role }),
  };
  return { group, problems };
}

/** Whether any field has a problem. */
export function hasProblems(problems: GroupProblems): boolean {
  return Object.values(problems).some((list) => list.length > 0);
}

/** The draft field a `spec.nodeGroups[i].<field>` cause belongs to (the schema's names to the form's). */
export function draftFieldOf(schemaField: string): DraftField {
  switch (schemaField) {
    case 'name':
      return 'name';
    case 'flavor':
      return 'flavor';
    case 'replicas':
      return 'replicas';
    case 'minReplicas':
      return 'min';
    case 'maxReplicas':
      return 'max';
    case 'zones':
      return 'zones';
    case 'labels':
      return 'labels';
    case 'taints':
      return 'taints';
    default:
      return 'group';
  }
}

/** "gpu-a100 — 16 CPU, 64Gi, 4 × A100". */
export function flavorLabel(flavor: Flavor): string {
  const gpus = flavor.gpus > 0 ? `, ${flavor.gpus} × ${flavor.gpuType ?? 'GPU'}` : '';
  return `${flavor.name} — ${flavor.cpu} CPU, ${flavor.memory}${gpus}`;
}

/** A field the apiserver refused (kube.ts's FieldProblem, repeated so this module imports no fetch code). */
interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** The problems of a cluster name as typed ('' has none yet: the form says to name it). */
export function clusterNameProblems(name: string): string[] {
  if (name === '' || (name.length <= 63 && DNS_LABEL.test(name))) return [];
  return ['a DNS label: lower-case letters, digits and -, at most 63 characters, starting and ending with a letter or digit'];
}

/** The Cluster submit (and the dry run) sends. */
export function clusterBody(namespace: string, name: string, template: string, groups: readonly NodeGroupSpec[]): unknown {
  return {
    apiVersion: 'beamline.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name, namespace },
    spec: { templateRef: { name: template }, ...(groups.length === 0 ? {} : { nodeGroups: groups }) },
  };
}

/** The server's answer split by where it shows: the name, the template, each group's fields, or over the form. */
export interface ServerProblems {
  readonly name: string[];
  readonly template: string[];
  readonly groups: GroupProblems[];
  readonly form: string[];
}

const NODE_GROUP_FIELD = /^spec\.nodeGroups\[(\d+)\](?:\.([A-Za-z]+))?/;

/** Sorts a refusal's causes (a KubeWriteError's `fields`) to their fields; what names no field of the form is form-level. */
export function serverProblemsOf(error: unknown): ServerProblems {
  const problems: ServerProblems = { name: [], template: [], groups: [], form: [] };
  if (!(error instanceof Error)) return problems;
  const fields = 'fields' in error && Array.isArray(error.fields) ? (error.fields as readonly FieldProblem[]) : [];
  if (fields.length === 0) {
    problems.form.push(error.message);
    return problems;
  }
  for (const { field, message } of fields) {
    const group = NODE_GROUP_FIELD.exec(field);
    if (group !== null) {
      const index = Number(group[1]);
      const target = (problems.groups[index] ??= {});
      (target[draftFieldOf(group[2] ?? '')] ??= []).push(message);
    } else if (field === 'metadata.name') problems.name.push(message);
    else if (field.startsWith('spec.templateRef')) problems.template.push(message);
    else problems.form.push(`${field}: ${message}`);
  }
  return problems;
}

/** The kubeconfig of a cluster for the exec plugin (mirrors `execKubeconfig` of the CLI): no token, no certificate key. */
export function kubeconfigOf(contextName: string, endpoint: string, certificateAuthority: string | undefined): string {
  const q = (text: string): string => JSON.stringify(text);
  const ca = certificateAuthority === undefined ? '' : `\n      certificate-authority-data: ${q(btoa(certificateAuthority))}`;
  return `apiVersion: v1
kind: Config
clusters:
  - name: ${q(contextName)}
    cluster:
      server: ${q(endpoint)}${ca}
users:
  - name: beamline-oidc
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: beamline
        args:
          - token
        env: null
        interactiveMode: Never
        provideClusterInfo: false
contexts:
  - name: ${q(contextName)}
    context:
      cluster: ${q(contextName)}
      user: beamline-oidc
current-context: ${q(contextName)}
`;
}

