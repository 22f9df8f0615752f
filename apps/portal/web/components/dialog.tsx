/**
 * A modal dialog on the native `<dialog>` element (focus is trapped and Escape closes it, by the
 * browser): for confirmations (delete with the typed name, sync with its preview) and small forms.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';

/** Props of {@link Dialog}. */
export interface DialogProps {
  readonly open: boolean;
  readonly title: string;
  /** Called when the user closes it (Escape, the close button). */
  readonly onClose: () => void;
  readonly children: ReactNode;
  /** Wider, for diffs. */
  readonly wide?: boolean;
}

/** A modal with a title; renders nothing while closed. */
export function Dialog({ open, title, onClose, children, wide }: DialogProps): ReactNode {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={wide === true ? 'dialog dialog-wide' : 'dialog'}
      aria-labelledby={titleId}
      onClose={() => {
        if (open) onClose();
      }}
    >
      {open ? (
        <>
          <div className="dialog-head">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="dialog-close" onClick={onClose} aria-label="Close">
              ×
            </button>
          </div>
          {children}
        </>
      ) : null}
    </dialog>
  );
}
