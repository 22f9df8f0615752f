/**
 * The node-group editor of the create-cluster form: each group's name, flavor, replicas, min, max,
 * zones, labels and taints as text the user types (a half-typed number or label is kept as typed),
 * with its problems next to each field: the local checks of cluster-model.ts and the server's dry
 * run's causes, merged by the form.
 */
import { type ReactNode } from 'react';
import { NumberField, SelectField, TextField, Field } from '../components/form.tsx';
import type { Flavor } from '../types.ts';
import { flavorLabel, MAX_REPLICAS, newDraft, type DraftField, type GroupProblems, type NodeGroupDraft } from './cluster-model.ts';

/** Props of {@link NodeGroupEditor}. */
export interface NodeGroupEditorProps {
  readonly groups: readonly NodeGroupDraft[];
  readonly onChange: (groups: NodeGroupDraft[]) => void;
  readonly flavors: readonly Flavor[];
  /** Per group (by index): the local and the server's problems merged. */
  readonly problems: readonly GroupProblems[];
}

function merged(problems: GroupProblems, field: DraftField): string[] | undefined {
  const list = problems[field];
  return list === undefined || list.length === 0 ? undefined : list;
}

/** The groups, one fieldset each, with "Remove" for groups the user added and "Add node group". */
export function NodeGroupEditor({ groups, onChange, flavors, problems }: NodeGroupEditorProps): ReactNode {
  const set = (index: number, change: Partial<NodeGroupDraft>): void => onChange(groups.map((group, at) => (at === index ? { ...group, ...change } : group)));
  const flavorOptions = flavors.map((flavor) => ({ value: flavor.name, label: flavorLabel(flavor) }));
  return (
    <div className="node-groups">
      {groups.map((group, index) => {
        const groupProblems = problems[index] ?? {};
        const options = flavorOptions.some((option) => option.value === group.flavor) || group.flavor === '' ? flavorOptions : [{ value: group.flavor, label: `${group.flavor} (unknown)` }, ...flavorOptions];
        return (
          <fieldset key={group.key} className="node-group">
            <legend>Node group {group.name === '' ? index + 1 : group.name}</legend>
            {merged(groupProblems, 'group') === undefined ? null : (
              <p className="field-problem" role="alert">
                {merged(groupProblems, 'group')?.join('; ')}
              </p>
            )}
            <div className="node-group-grid">
              <TextField label="Name" value={group.name} onChange={(name) => set(index, { name })} {...withProblems(merged(groupProblems, 'name'))} {...(group.fromTemplate ? { hint: "The template's group of this name is replaced by this one." } : {})} />
              <SelectField label="Flavor" value={group.flavor} onChange={(flavor) => set(index, { flavor })} options={group.flavor === '' ? [{ value: '', label: 'Choose a flavor' }, ...options] : options} {...withProblems(merged(groupProblems, 'flavor'))} />
              <NumberField label="Replicas" value={group.replicas} onChange={(replicas) => set(index, { replicas })} min={0} max={MAX_REPLICAS} {...withProblems(merged(groupProblems, 'replicas'))} />
              <NumberField label="Min replicas" value={group.min} onChange={(min) => set(index, { min })} min={0} max={MAX_REPLICAS} hint="Empty: 0" {...withProblems(merged(groupProblems, 'min'))} />
              <NumberField label="Max replicas" value={group.max} onChange={(max) => set(index, { max })} min={0} max={MAX_REPLICAS} hint="Empty: no limit" {...withProblems(merged(groupProblems, 'max'))} />
              <TextField label="Zones" value={group.zones} onChange={(zones) => set(index, { zones })} hint="Comma-separated; node i is in zone i mod the number of zones" {...withProblems(merged(groupProblems, 'zones'))} />
              <TextArea label="Labels" value={group.labels} onChange={(labels) => set(index, { labels })} hint="One key=value a line" problems={merged(groupProblems, 'labels')} />
              <TextArea label="Taints" value={group.taints} onChange={(taints) => set(index, { taints })} hint="One key=value:Effect a line (NoSchedule, PreferNoSchedule, NoExecute)" problems={merged(groupProblems, 'taints')} />
            </div>
            {group.fromTemplate ? (
              <p className="field-hint">From the template: it cannot be removed (set its replicas to 0 instead).</p>
            ) : (
              <button type="button" className="danger" onClick={() => onChange(groups.filter((_, at) => at !== index))}>
                Remove node group {group.name}
              </button>
            )}
          </fieldset>
        );
      })}
      <button
        type="button"
        onClick={() =>
          onChange([
            ...groups,
            newDraft(
              flavors[0]?.name ?? '',
              groups.map((group) => group.name),
            ),
          ])
        }
      >
        Add node group
      </button>
    </div>
  );
}

function withProblems(problems: string[] | undefined): { problems?: string[] } {
  return problems === undefined ? {} : { problems };
}

/** A multi-line text field with its problems next to it. */
function TextArea({ label, value, onChange, hint, problems }: { readonly label: string; readonly value: string; readonly onChange: (value: string) => void; readonly hint: string; readonly problems: string[] | undefined }): ReactNode {
  return (
    <Field
      label={label}
      hint={hint}
      {...withProblems(problems)}
      render={({ id, describedBy, invalid }) => <textarea id={id} value={value} onChange={(event) => onChange(event.target.value)} aria-describedby={describedBy} aria-invalid={invalid} rows={3} spellCheck={false} />}
    />
  );
}
