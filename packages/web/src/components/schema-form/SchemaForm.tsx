import { useId, useState } from 'react';
import type { FieldSpec, RawValues } from './schema-form';

interface Props {
  readonly fields: readonly FieldSpec[];
  readonly raw: RawValues;
  readonly errors: Record<string, string>;
  readonly onChange: (raw: RawValues) => void;
  readonly disabled?: boolean;
  /** Show every field's problem, touched or not (after the user tried to submit). */
  readonly revealErrors?: boolean;
}

/**
 * Controls for a flat JSON Schema (see schema-form.ts), each labelled, its problem announced beside
 * it once the user has been there: an untouched form does not open with a column of complaints.
 */
export function SchemaForm({ fields, raw, errors, onChange, disabled, revealErrors }: Props) {
  const prefix = useId();
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const touch = (name: string) => !touched.has(name) && setTouched(new Set([...touched, name]));
  const set = (name: string, value: string | boolean) => {
    touch(name);
    onChange({ ...raw, [name]: value });
  };
  return (
    <div className="schema-form">
      {fields.map((field) => {
        const id = `${prefix}-${field.name}`;
        const error = revealErrors || touched.has(field.name) ? errors[field.name] : undefined;
        const common = { id, name: field.name, disabled, onBlur: () => touch(field.name), 'aria-invalid': error ? true : undefined, 'aria-describedby': error ? `${id}-error` : undefined };
        const value = raw[field.name];
        return (
          <div key={field.name} className={`form-row control-${field.control}`}>
            <label htmlFor={id}>
              {field.label}
              {field.required && <span aria-hidden="true"> *</span>}
            </label>
            {field.control === 'select' ? (
              <select {...common} required={field.required} value={String(value ?? '')} onChange={(e) => set(field.name, e.target.value)}>
                <option value="">{field.required ? 'Choose…' : '(none)'}</option>
                {field.options?.map((option) => (
                  <option key={option} value={option}>
                    {option.replace(/_/g, ' ')}
                  </option>
                ))}
              </select>
            ) : field.control === 'checkbox' ? (
              <input {...common} type="checkbox" checked={value === true} onChange={(e) => set(field.name, e.target.checked)} />
            ) : field.control === 'json' ? (
              <textarea {...common} rows={3} value={String(value ?? '')} onChange={(e) => set(field.name, e.target.value)} />
            ) : (
              <input
                {...common}
                type={field.control === 'email' ? 'email' : 'text'}
                inputMode={field.control === 'integer' ? 'numeric' : field.control === 'number' ? 'decimal' : undefined}
                required={field.required}
                value={String(value ?? '')}
                onChange={(e) => set(field.name, e.target.value)}
              />
            )}
            {error && (
              <span id={`${id}-error`} className="field-error">
                {error}
              </span>
            )}
          </div>
        );
      })}
    </div>
  );
}
