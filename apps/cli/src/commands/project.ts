import type { Command } from 'commander';
// The names only (see resources.ts): start-up stays fast.
import { API_VERSION, PROJECT, PROJECT_NAME_MAX_LENGTH } from '@beamline/api/names';
import { callApi, loadManagementKubeConfig } from '../kube.ts';
import { age, CliError, parseOutputFormat } from '../output.ts';
import { cell, printObjects } from '../print.ts';
import { resourceClient, type BeamlineObject, type ResourceKind } from '../resources.ts';
import { visibleProjects } from '../visible-projects.ts';

interface GlobalOptions {
  readonly kubeconfig?: string;
}

/** The Project kind as the resource client serves it (cluster-scoped). */
const PROJECT_KIND: ResourceKind = { kind: PROJECT.kind, plural: PROJECT.plural, namespaced: false };

/** A member as `--owner`, `--member` and `--viewer` take it: `alice@lab.org` (a user) or `group:physics`. */
interface MemberArgument {
  readonly kind: 'User' | 'Group';
  readonly name: string;
  readonly role: 'owner' | 'member' | 'viewer';
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Checks a project name before the API server does, with the reason (its namespace is `project-<name>`). */
export function checkProjectName(name: string): void {
  if (name.length > PROJECT_NAME_MAX_LENGTH || !DNS_LABEL.test(name)) {
    throw new CliError(`invalid project name "${name}": a DNS label (lower-case letters, digits, '-') of at most ${PROJECT_NAME_MAX_LENGTH} characters; its namespace is project-<name>`, 2);
  }
}

/** `alice@lab.org` → a User, `group:physics` → a Group; the name as the identity provider gives it, without the platform's prefix. */
export function parseMember(text: string, role: MemberArgument['role']): MemberArgument {
  const trimmed = text.trim();
  const isGroup = trimmed.startsWith('group:');
  const name = isGroup ? trimmed.slice('group:'.length) : trimmed.startsWith('user:') ? trimmed.slice('user:'.length) : trimmed;
  if (name === '' || name.length > 256) throw new CliError(`invalid --${role} "${text}": give a user name (alice@lab.org) or group:NAME, at most 256 characters`, 2);
  return { kind: isGroup ? 'Group' : 'User', name, role };
}

/** The members of `create`'s flags, refusing one named twice (the API would too, less clearly). */
export function membersOf(flags: { readonly owner?: readonly string[]; readonly member?: readonly string[]; readonly viewer?: readonly string[] }): MemberArgument[] {
  const members = [
    ...(flags.owner ?? []).map((text) => parseMember(text, 'owner')),
    ...(flags.member ?? []).map((text) => parseMember(text, 'member')),
    ...(flags.viewer ?? []).map((text) => parseMember(text, 'viewer')),
  ];
  if (!members.some((member) => member.role === 'owner')) throw new CliError('a project needs an owner: --owner <user|group:NAME>', 2);
  const seen = new Map<string, string>();
  for (const member of members) {
    const key = `${member.kind}:${member.name}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) throw new CliError(`${member.kind === 'Group' ? 'group' : 'user'} "${member.name}" is given twice (--${earlier} and --${member.role}): a member has one role`, 2);
    seen.set(key, member.role);
  }
  return members;
}

/** The Project `create` sends. */
export function projectObject(name: string, displayName: string, members: readonly MemberArgument[]): BeamlineObject {
  return { apiVersion: API_VERSION, kind: PROJECT.kind, metadata: { name }, spec: { displayName, members: members.map((member) => ({ ...member })) } };
}

/**
 * The members with `member` given its role: replaced in place when the user or group is already
 * a member, appended otherwise. Pure: `set-member` sends the result.
 */
export function withMember(members: readonly MemberArgument[], member: MemberArgument): MemberArgument[] {
  const index = members.findIndex((entry) => entry.kind === member.kind && entry.name === member.name);
  return index === -1 ? [...members, member] : members.map((entry, at) => (at === index ? member : entry));
}

/** The members without the user or group; refuses one that is not a member, and removing the last owner (as the API does). */
export function withoutMember(members: readonly MemberArgument[], kind: MemberArgument['kind'], name: string): MemberArgument[] {
  const rest = members.filter((entry) => !(entry.kind === kind && entry.name === name));
  if (rest.length === members.length) throw new CliError(`${kind === 'Group' ? 'group' : 'user'} "${name}" is not a member`);
  if (!rest.some((entry) => entry.role === 'owner')) throw new CliError('a project keeps at least one owner: give another member the owner role first');
  return rest;
}

const ROLES: readonly MemberArgument['role'][] = ['owner', 'member', 'viewer'];

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const PROJECT_TABLE = {
  kind: PROJECT.kind,
  headers: ['name', 'display-name', 'namespace', 'members', 'clusters', 'nodes', 'ready', 'age'],
  row: (project: BeamlineObject): string[] => {
    const status = (project.status ?? {}) as { namespace?: string; usage?: { clusters?: number; nodes?: number }; conditions?: { type: string; status: string; reason?: string }[] };
    const ready = status.conditions?.find((condition) => condition.type === 'Ready');
    return [
      cell(project.metadata?.name),
      cell(project.spec?.displayName),
      cell(status.namespace),
      cell(((project.spec?.members as unknown[] | undefined) ?? []).length),
      cell(status.usage?.clusters),
      cell(status.usage?.nodes),
      ready === undefined ? '<unknown>' : ready.status === 'True' ? 'True' : `${ready.status} (${ready.reason ?? ''})`,
      age(project.metadata?.creationTimestamp),
    ];
  },
};

/** `beamline project list|get|create|delete`. */
export function registerProject(program: Command): void {
  const project = program.command('project').alias('projects').description('projects: tenants with members, quotas and a namespace of their own (project-<name>)');
  const configOf = (command: Command) => loadManagementKubeConfig(command.optsWithGlobals<GlobalOptions>().kubeconfig);

  project
    .command('list')
    .alias('ls')
    .description('list the projects you may see')
    .option('-o, --output <format>', 'table, json, yaml or name', 'table')
    .action(async (options: { output?: string }, command: Command) => {
      const format = parseOutputFormat(options.output);
      const config = configOf(command);
      const items = await visibleProjects(config, PROJECT_KIND);
      items.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
      process.stdout.write(`${printObjects(items, format, PROJECT_TABLE)}\n`);
    });

  project
    .command('get <name>')
    .description('show one project')
    .option('-o, --output <format>', 'table, json, yaml or name', 'table')
    .action(async (name: string, options: { output?: string }, command: Command) => {
      const format = parseOutputFormat(options.output);
      checkProjectName(name);
      const config = configOf(command);
      const item = await callApi(config, `get project "${name}"`, () => resourceClient(config, PROJECT_KIND).get(name));
      process.stdout.write(`${printObjects([item], format, PROJECT_TABLE, true)}\n`);
    });

  project
    .command('create <name>')
    .description('create a project (a platform admin does): its namespace project-<name> and the members\' roles follow')
    .option('--display-name <text>', 'the name people see (default: the project name)')
    .option('--owner <user|group:NAME>', 'an owner (repeatable; at least one)', collect)
    .option('--member <user|group:NAME>', 'a member: creates clusters and apps (repeatable)', collect)
    .option('--viewer <user|group:NAME>', 'a viewer: reads (repeatable)', collect)
    .option('-o, --output <format>', 'print the created project: json, yaml or name')
    .action(async (name: string, options: { displayName?: string; owner?: string[]; member?: string[]; viewer?: string[]; output?: string }, command: Command) => {
      checkProjectName(name);
      const format = options.output === undefined ? undefined : parseOutputFormat(options.output);
      const displayName = options.displayName ?? name;
      if (displayName.trim() === '' || displayName.length > 128) throw new CliError('invalid --display-name: 1 to 128 characters', 2);
      const body = projectObject(name, displayName, membersOf(options));
      const config = configOf(command);
      const created = await callApi(config, `create project "${name}"`, () => resourceClient(config, PROJECT_KIND).create(body));
      process.stdout.write(format === undefined || format === 'table' ? `project/${name} created\n` : `${printObjects([created], format, PROJECT_TABLE, true)}\n`);
    });

  /** Reads the project, changes its members, writes them back only if nobody changed it meanwhile (resourceVersion). */
  const changeMembers = async (command: Command, name: string, change: (members: readonly MemberArgument[]) => MemberArgument[]): Promise<void> => {
    checkProjectName(name);
    const config = configOf(command);
    const client = resourceClient(config, PROJECT_KIND);
    const current = await callApi(config, `get project "${name}"`, () => client.get(name));
    const members = change((current.spec?.members as MemberArgument[] | undefined) ?? []);
    // The list is atomic: a merge patch replaces it whole; the resourceVersion makes a concurrent edit a conflict, not a loss.
    await callApi(config, `update project "${name}"`, () => client.patch(name, { metadata: { resourceVersion: current.metadata?.resourceVersion }, spec: { members } }));
  };

  project
    .command('set-member <project> <user|group:NAME>')
    .description("give a user or group a role in the project (owners may; quotas and the rest stay the platform admins')")
    .requiredOption('--role <role>', 'owner, member or viewer')
    .action(async (name: string, who: string, options: { role: string }, command: Command) => {
      const role = options.role as MemberArgument['role'];
      if (!ROLES.includes(role)) throw new CliError(`invalid value "${options.role}" for --role: one of ${ROLES.join(', ')}`, 2);
      const member = parseMember(who, role);
      await changeMembers(command, name, (members) => withMember(members, member));
      process.stdout.write(`project/${name}: ${member.kind === 'Group' ? 'group' : 'user'} ${member.name} is ${role}\n`);
    });

  project
    .command('remove-member <project> <user|group:NAME>')
    .description('take a user or group out of the project')
    .action(async (name: string, who: string, _options: unknown, command: Command) => {
      const member = parseMember(who, 'member');
      await changeMembers(command, name, (members) => withoutMember(members, member.kind, member.name));
      process.stdout.write(`project/${name}: ${member.kind === 'Group' ? 'group' : 'user'} ${member.name} removed\n`);
    });

  project
    .command('delete <name>')
    .description('delete a project: its namespaces, and with them its clusters and applications')
    .action(async (name: string, _options: unknown, command: Command) => {
      checkProjectName(name);
      const config = configOf(command);
      await callApi(config, `delete project "${name}"`, () => resourceClient(config, PROJECT_KIND).delete(name));
      process.stdout.write(`project/${name} deleted\n`);
    });
}
