/**
 * Form parts whose errors sit next to their field: each field has a label, an optional hint, and
 * its problems (from the form's own checks or the apiserver's dry run) announced and linked with
 * `aria-describedby` and `aria-invalid`.
 */
import { useId, type ReactNode } from 'react';

/** Props every field takes. */
interface FieldFrame {
  readonly label: string;
  readonly hint?: string;
  /** Problems to show under the field; none: valid. */
  readonly problems?: readonly string[];
}

/** The label, hint and problems around one control; `render` gets the ids to wire into it. */
export function Field({ label, hint, problems, render }: FieldFrame & { readonly render: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode }): ReactNode {
  const id = useId();
  const hintId = `${id}-hint`;
  const problemId = `${id}-problem`;
  const invalid = problems !== undefined && problems.length > 0;
  const describedBy = [hint === undefined ? undefined : hintId, invalid ? problemId : undefined].filter((part) => part !== undefined).join(' ') || undefined;
  return (
    <div className={invalid ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {render({ id, describedBy, invalid })}
      {hint === undefined ? null : (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      )}
      {invalid ? (
        <p id={problemId} className="field-problem" role="alert">
          {problems.join('; ')}
        </p>
      ) : null}
    </div>
  );
}

/** A text input in a {@link Field}. */
export function TextField({
  label,
  hint,
  problems,
  value,
  onChange,
  placeholder,
  required,
  autoComplete,
}: FieldFrame & { readonly value: string; readonly onChange: (value: string) => void; readonly placeholder?: string; readonly required?: boolean; readonly autoComplete?: string }): ReactNode {
  return (
    <Field
      label={label}
      {...(hint === undefined ? {} : { hint })}
      {...(problems === undefined ? {} : { problems })}
      render={({ id, describedBy, invalid }) => (
        <input
          id={id}
          type="text"
          value={value}
          onChange={(event) => onChange(event.target.value)}
          aria-describedby={describedBy}
          aria-invalid={invalid}
          required={required}
          placeholder={placeholder}
          autoComplete={autoComplete ?? 'off'}
          spellCheck={false}
        />
      )}
    />
  );
}

/** A whole-number input in a {@link Field}; the value stays text so a half-typed number is not lost. */
export function NumberField({
  label,
  hint,
  problems,
  value,
  onChange,
  min,
  max,
}: FieldFrame & { readonly value: string; readonly onChange: (value: string) => void; readonly min?: number; readonly max?: number }): ReactNode {
  return (
    <Field
      label={label}
      {...(hint === undefined ? {} : { hint })}
      {...(problems === undefined ? {} : { problems })}
      render={({ id, describedBy, invalid }) => (
        <input id={id} type="number" inputMode="numeric" value={value} onChange={(event) => onChange(event.target.value)} aria-describedby={describedBy} aria-invalid={invalid} min={min} max={max} step={1} />
      )}
    />
  );
}

/** A select in a {@link Field}. */
export function SelectField({
  label,
  hint,
  problems,
  value,
  onChange,
  options,
}: FieldFrame & { readonly value: string; readonly onChange: (value: string) => void; readonly options: readonly { readonly value: string; readonly label: string }[] }): ReactNode {
  return (
    <Field
      label={label}
      {...(hint === undefined ? {} : { hint })}
      {...(problems === undefined ? {} : { problems })}
      render={({ id, describedBy, invalid }) => (
        <select id={id} value={value} onChange={(event) => onChange(event.target.value)} aria-describedby={describedBy} aria-invalid={invalid}>
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    />
  );
}

/** A checkbox with its label after it. */
export function CheckboxField({ label, hint, checked, onChange }: { readonly label: string; readonly hint?: string; readonly checked: boolean; readonly onChange: (checked: boolean) => void }): ReactNode {
  const id = useId();
  return (
    <div className="field field-check">
      <input id={id} type="checkbox" checked={checked} onChange={(event) => onChange(event.target.checked)} aria-describedby={hint === undefined ? undefined : `${id}-hint`} />
      <label htmlFor={id}>{label}</label>
      {hint === undefined ? null : (
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/** A form-level error (what no single field explains), as an alert. */
export function FormError({ message }: { readonly message: string | undefined }): ReactNode {
  if (message === undefined || message === '') return null;
  return (
    <p className="state state-error" role="alert">
      {message}
    </p>
  );
}
