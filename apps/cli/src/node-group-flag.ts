import { CliError } from './output.ts';

/** A node group given on the command line with `--node-group`. */
export interface NodeGroupFlag {
  readonly name: string;
  readonly flavor?: string;
  readonly replicas?: number;
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
  readonly zones: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly { key: string; value?: string; effect: string }[];
  readonly role?: string;
}

const KEYS = ['name', 'flavor', 'replicas', 'min', 'max', 'zone', 'label', 'taint', 'role'];

function count(value: string, key: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`invalid --node-group "${flag}": ${key} must be a whole number, got "${value}"`, 2);
  return Number(value);
}

/**
 * Parses `name=gpu,flavor=g1.large,replicas=2,min=0,max=4,zone=a,zone=b,label=k=v,taint=k=v:NoSchedule,role=gpu`.
 * Repeat `zone`, `label` and `taint` for several. Errors name the flag and the key (exit code 2).
 */
export function parseNodeGroupFlag(flag: string): NodeGroupFlag {
  const fields: Record<string, string> = {};
  const zones: string[] = [];
  const labels: Record<string, string> = {};
  const taints: { key: string; value?: string; effect: string }[] = [];
  for (const part of flag.split(',')) {
    const equals = part.indexOf('=');
    const key = equals < 0 ? part : part.slice(0, equals);
    const value = equals < 0 ? '' : part.slice(equals + 1);
    if (!KEYS.includes(key)) throw new CliError(`invalid --node-group "${flag}": unknown key "${key}" (keys: ${KEYS.join(', ')})`, 2);
    if (value === '') throw new CliError(`invalid --node-group "${flag}": ${key} needs a value (${key}=...)`, 2);
    if (key === 'zone') zones.push(value);
    else if (key === 'label') {
      const [labelKey = '', ...rest] = value.split('=');
      if (labelKey === '' || rest.length === 0) throw new CliError(`invalid --node-group "${flag}": label must be label=key=value`, 2);
      labels[labelKey] = rest.join('=');
    } else if (key === 'taint') {
      const match = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(value);
      if (match === null) throw new CliError(`invalid --node-group "${flag}": taint must be taint=key[=value]:NoSchedule|PreferNoSchedule|NoExecute`, 2);
      taints.push({ key: match[1] ?? '', ...(match[2] === undefined ? {} : { value: match[2] }), effect: match[3] ?? '' });
    } else if (key in fields) throw new CliError(`invalid --node-group "${flag}": ${key} given twice`, 2);
    else fields[key] = value;
  }
  if (fields.name === undefined) throw new CliError(`invalid --node-group "${flag}": name is required (name=...)`, 2);
  return {
    name: fields.name,
    ...(fields.flavor === undefined ? {} : { flavor: fields.flavor }),
    ...(fields.replicas === undefined ? {} : { replicas: count(fields.replicas, 'replicas', flag) }),
    ...(fields.min === undefined ? {} : { minReplicas: count(fields.min, 'min', flag) }),
    ...(fields.max === undefined ? {} : { maxReplicas: count(fields.max, 'max', flag) }),
    ...(fields.role === undefined ? {} : { role: fields.role }),
    zones,
    labels,
    taints,
  };
}
