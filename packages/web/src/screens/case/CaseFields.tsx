import { useState } from 'react';
import { ApiError } from '../../api/client';
import { useUpdateCase } from '../../api/cases';
import { useCan } from '../../api/session';
import type { CaseDetail, CaseType } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { InertValue } from '../../components/Inert';
import { fieldsOf, rawFrom, valuesFrom, type RawValues } from '../../components/schema-form/schema-form';
import { SchemaForm } from '../../components/schema-form/SchemaForm';

/**
 * The case's typed fields, edited at the version on screen. When someone else saved first, the
 * server says VERSION_CONFLICT: what was typed stays in the form, the case reloads beside it, and
 * saving again applies it over their change, knowingly. The form is never remounted by a new
 * version arriving (live, or after the conflict): what was typed survives it.
 */
export function CaseFields({ detail, type }: { detail: CaseDetail; type: CaseType | undefined }) {
  const canUpdate = useCan('case:update');
  const update = useUpdateCase(detail.id!);
  const fields = type ? fieldsOf(type.fields) : [];
  const [editing, setEditing] = useState<{ raw: RawValues; baseVersion: number } | undefined>(undefined);
  const values = (detail.fields ?? {}) as Record<string, unknown>;

  if (!editing) {
    return (
      <section className="panel" aria-labelledby="fields-title">
        <h2 id="fields-title">Fields</h2>
        <dl className="fields">
          {fields.map((field) => (
            <div key={field.name}>
              <dt>{field.label}</dt>
              <dd>
                <InertValue value={values[field.name]} />
              </dd>
            </div>
          ))}
        </dl>
        {canUpdate && (
          <button type="button" onClick={() => setEditing({ raw: rawFrom(fields, values), baseVersion: detail.version! })}>
            Edit fields
          </button>
        )}
      </section>
    );
  }

  const { value, errors } = valuesFrom(fields, editing.raw);
  const conflict = update.error instanceof ApiError && update.error.code === 'VERSION_CONFLICT';
  const save = () => {
    // Absent optional fields are sent as null, which removes them (the API's rule for fields).
    const changes = Object.fromEntries(fields.map((f) => [f.name, value[f.name] ?? null]));
    update.mutate({ fields: changes, version: conflict ? detail.version! : editing.baseVersion }, { onSuccess: () => setEditing(undefined) });
  };
  return (
    <section className="panel" aria-labelledby="fields-title">
      <h2 id="fields-title">Edit fields</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          save();
        }}
      >
        <SchemaForm fields={fields} raw={editing.raw} errors={errors} onChange={(raw) => setEditing({ ...editing, raw })} disabled={update.isPending} />
        <ErrorNotice error={update.error} />
        {!conflict && detail.version !== editing.baseVersion && (
          <p className="notice" role="status">
            Someone else saved this case while you were editing (now version {detail.version}). Your values are kept; saving will tell you if they clash.
          </p>
        )}
        {conflict && <p className="notice">The case is now at version {detail.version}; see the timeline for what changed. Save again to apply your values over it.</p>}
        <div className="buttons">
          <button type="submit" className="primary" disabled={update.isPending || Object.keys(errors).length > 0}>
            {conflict ? 'Save over their change' : 'Save'}
          </button>
          <button type="button" onClick={() => setEditing(undefined)}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
