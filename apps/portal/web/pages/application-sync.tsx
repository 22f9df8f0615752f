/**
 * What a sync, a rollback and a delete of an Application write, and the dialogs that ask first:
 * the Sync dialog shows the server's preview (objects to create, to update with their diff, and,
 * only with Prune ticked, the objects that will be deleted) before anything is written.
 */
import { useEffect, useId, useState, type ReactNode } from 'react';
import { getJson } from '../api.ts';
import { Dialog } from '../components/dialog.tsx';
import { CheckboxField, FormError, TextField } from '../components/form.tsx';
import { beamlinePath, deleteObject, mergePatch } from '../kube.ts';
import { useSession } from '../session.ts';
import { ErrorState, Loading } from '../states.tsx';
import type { PreviewObject, SyncPreview } from '../types.ts';
import { syncRequestPatch } from './application-model.ts';

/** `Deployment apps/v1 physics/web`: an object as the lists name it. */
export function objectLabel(object: { readonly kind: string; readonly group?: string; readonly namespace?: string; readonly name: string }): string {
  return `${object.kind}${object.group === undefined || object.group === '' ? '' : `.${object.group}`} ${object.namespace === undefined || object.namespace === '' ? '' : `${object.namespace}/`}${object.name}`;
}

/** A unified diff with added and removed lines marked by class (and by their +/- for everyone else). */
export function DiffView({ diff, label }: { readonly diff: string; readonly label: string }): ReactNode {
  const lines = diff.split('\n');
  return (
    <pre className="diff" aria-label={label} tabIndex={0}>
      {lines.map((line, index) => {
        const tone = line.startsWith('+') && !line.startsWith('+++') ? 'diff-add' : line.startsWith('-') && !line.startsWith('---') ? 'diff-remove' : undefined;
        return (
          <span key={index} className={tone}>
            {line}
            {index < lines.length - 1 ? '\n' : ''}
          </span>
        );
      })}
    </pre>
  );
}

/** The preview path of an Application. */
export function previewPath(namespace: string, name: string, prune: boolean): string {
  return `/api/applications/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/preview?prune=${String(prune)}`;
}

type PreviewState = { readonly state: 'loading' } | { readonly state: 'ready'; readonly preview: SyncPreview } | { readonly state: 'error'; readonly error: Error };

/** Loads the preview of a sync (again when `key` or `prune` changes). */
export function usePreview(namespace: string, name: string, prune: boolean, key: string, enabled: boolean): PreviewState {
  const [state, setState] = useState<PreviewState>({ state: 'loading' });
  useEffect(() => {
    if (!enabled) return undefined;
    const controller = new AbortController();
    setState({ state: 'loading' });
    getJson<SyncPreview>(previewPath(namespace, name, prune), controller.signal).then(
      (preview) => {
        if (!controller.signal.aborted) setState({ state: 'ready', preview });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ state: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => controller.abort();
  }, [namespace, name, prune, key, enabled]);
  return state;
}

/** The objects of a preview by action, each update with its diff behind a disclosure. */
export function PreviewLists({ preview, prune }: { readonly preview: SyncPreview; readonly prune: boolean }): ReactNode {
  const creates = preview.objects.filter((object) => object.action === 'create');
  const updates = preview.objects.filter((object) => object.action === 'update');
  const prunes = preview.objects.filter((object) => object.action === 'prune');
  const key = (object: PreviewObject): string => `${object.group}/${object.kind}/${object.namespace ?? ''}/${object.name}`;
  // The Diff tab and the Sync dialog may both show a preview: ids of their own.
  const id = useId();
  if (creates.length === 0 && updates.length === 0 && (!prune || prunes.length === 0)) {
    return <p className="state state-empty">Nothing to change: the destination matches revision {preview.revision.slice(0, 12)}.</p>;
  }
  return (
    <>
      {creates.length === 0 ? null : (
        <section className="preview-group" aria-labelledby={`${id}-create`}>
          <h3 id={`${id}-create`}>Will be created ({creates.length})</h3>
          <ul className="preview-list" aria-labelledby={`${id}-create`}>
            {creates.map((object) => (
              <li key={key(object)}>
                <details>
                  <summary>{objectLabel(object)}</summary>
                  <DiffView diff={object.diff} label={`Manifest of ${objectLabel(object)}`} />
                </details>
              </li>
            ))}
          </ul>
        </section>
      )}
      {updates.length === 0 ? null : (
        <section className="preview-group" aria-labelledby={`${id}-update`}>
          <h3 id={`${id}-update`}>Will be updated ({updates.length})</h3>
          <ul className="preview-list" aria-labelledby={`${id}-update`}>
            {updates.map((object) => (
              <li key={key(object)}>
                <details>
                  <summary>{objectLabel(object)}</summary>
                  <DiffView diff={object.diff} label={`Changes to ${objectLabel(object)}`} />
                </details>
              </li>
            ))}
          </ul>
        </section>
      )}
      {!prune || prunes.length === 0 ? null : (
        <section className="preview-group" aria-labelledby={`${id}-prune`}>
          <h3 id={`${id}-prune`}>Will be deleted ({prunes.length})</h3>
          <ul className="preview-list prune-list" aria-labelledby={`${id}-prune`}>
            {prunes.map((object) => (
              <li key={key(object)}>{objectLabel(object)}</li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The Sync dialog: the Prune choice, the preview for it, and "Sync" writing the request. */
export function SyncDialog({
  open,
  namespace,
  name,
  defaultPrune,
  previewKey,
  onClose,
  onRequested,
}: {
  readonly open: boolean;
  readonly namespace: string;
  readonly name: string;
  readonly defaultPrune: boolean;
  readonly previewKey: string;
  readonly onClose: () => void;
  readonly onRequested: (id: string) => void;
}): ReactNode {
  const { csrfToken } = useSession();
  const [prune, setPrune] = useState(defaultPrune);
  const [writing, setWriting] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const preview = usePreview(namespace, name, prune, previewKey, open);
  const [wasOpen, setWasOpen] = useState(open);
  if (wasOpen !== open) {
    // Each opening starts afresh: the app's prune default, no error of an earlier attempt.
    setWasOpen(open);
    if (open) {
      setPrune(defaultPrune);
      setError(undefined);
    }
  }
  const sync = (): void => {
    const id = crypto.randomUUID();
    setWriting(true);
    setError(undefined);
    mergePatch(beamlinePath('applications', namespace, name), syncRequestPatch({ id, prune }), csrfToken).then(
      () => {
        setWriting(false);
        onRequested(id);
        onClose();
      },
      (failure: unknown) => {
        setWriting(false);
        setError(`Could not request the sync: ${messageOf(failure)}`);
      },
    );
  };
  return (
    <Dialog open={open} title={`Sync ${name}`} onClose={onClose} wide>
      <CheckboxField label="Prune" hint="Also delete the objects the source no longer has." checked={prune} onChange={setPrune} />
      <h3>What the sync will change</h3>
      {preview.state === 'loading' ? <Loading what="the preview" /> : preview.state === 'error' ? <ErrorState what="the preview" error={preview.error} /> : <PreviewLists preview={preview.preview} prune={prune} />}
      <FormError message={error} />
      <div className="actions">
        <button type="button" className="primary" onClick={sync} disabled={writing}>
          Sync
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

/** The rollback confirmation; with auto-sync on it explains why and offers to turn it off in the same write. */
export function RollbackDialog({
  entry,
  namespace,
  name,
  autoSync,
  onClose,
  onRequested,
}: {
  readonly entry: { readonly id: number; readonly revision: string } | undefined;
  readonly namespace: string;
  readonly name: string;
  readonly autoSync: boolean;
  readonly onClose: () => void;
  readonly onRequested: (id: string) => void;
}): ReactNode {
  const { csrfToken } = useSession();
  const [writing, setWriting] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const rollBack = (): void => {
    if (entry === undefined) return;
    const id = crypto.randomUUID();
    setWriting(true);
    setError(undefined);
    mergePatch(beamlinePath('applications', namespace, name), syncRequestPatch({ id, rollbackTo: entry.id, disableAutoSync: autoSync }), csrfToken).then(
      () => {
        setWriting(false);
        onRequested(id);
        onClose();
      },
      (failure: unknown) => {
        setWriting(false);
        setError(`Could not request the rollback: ${messageOf(failure)}`);
      },
    );
  };
  return (
    <Dialog open={entry !== undefined} title={`Roll back ${name}`} onClose={onClose}>
      {entry === undefined ? null : (
        <>
          <p>
            Apply history entry {entry.id} (revision <code>{entry.revision.slice(0, 12)}</code>) again.
          </p>
          {autoSync ? (
            <p role="note">
              Auto-sync is on: it would sync back to the target revision at once, so a rollback is refused while it is on. Turning it off and rolling back is one write; turn it on again in
              the application&apos;s spec when the source is fixed.
            </p>
          ) : null}
          <FormError message={error} />
          <div className="actions">
            <button type="button" className="primary" onClick={rollBack} disabled={writing}>
              {autoSync ? 'Turn off auto-sync and roll back' : 'Roll back'}
            </button>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}

/** Delete with the name typed as confirmation. */
export function DeleteDialog({ open, namespace, name, onClose, onDeleted }: { readonly open: boolean; readonly namespace: string; readonly name: string; readonly onClose: () => void; readonly onDeleted: () => void }): ReactNode {
  const { csrfToken } = useSession();
  const [typed, setTyped] = useState('');
  const [writing, setWriting] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const remove = (): void => {
    setWriting(true);
    setError(undefined);
    deleteObject(beamlinePath('applications', namespace, name), csrfToken).then(
      () => {
        setWriting(false);
        onDeleted();
      },
      (failure: unknown) => {
        setWriting(false);
        setError(`Could not delete: ${messageOf(failure)}`);
      },
    );
  };
  return (
    <Dialog open={open} title={`Delete ${name}`} onClose={onClose}>
      <p>Deleting the application also deletes the objects it delivered, unless its deletion policy is Orphan.</p>
      <TextField label={`Type ${name} to confirm`} value={typed} onChange={setTyped} />
      <FormError message={error} />
      <div className="actions">
        <button type="button" className="danger" onClick={remove} disabled={writing || typed !== name}>
          Delete
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
