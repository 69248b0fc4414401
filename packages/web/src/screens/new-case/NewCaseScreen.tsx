import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useCaseTypes } from '../../api/cases';
import { PRIORITIES, useCreateCase, type NewCase, type Priority } from '../../api/new-case';
import { useCan } from '../../api/session';
import type { CaseType } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { fieldsOf, valuesFrom, type RawValues } from '../../components/schema-form/schema-form';
import { SchemaForm } from '../../components/schema-form/SchemaForm';
import './new-case.css';

/** A case type as GET /case-types presents it: the definition, whose default queue the form offers. */
type TypeWithQueue = CaseType & { defaultQueue?: string };

/**
 * Opens a case: its type (the newest version), title, description, priority, the type's own fields
 * (a form from its JSON Schema) and, for staff, the queue. A refusal is a sentence (QUEUE_NOT_OWNED:
 * none of your teams works that queue); on success the new case opens.
 */
export function NewCaseScreen() {
  const types = useCaseTypes();
  const create = useCreateCase();
  const navigate = useNavigate();
  const staff = useCan('case:update');
  const [typeKey, setTypeKey] = useState('');
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [priority, setPriority] = useState<Priority>('normal');
  const [queue, setQueue] = useState('');
  const [raw, setRaw] = useState<RawValues>({});
  const [tried, setTried] = useState(false);

  const all = (types.data ?? []) as TypeWithQueue[];
  const type = all.find((t) => t.key === typeKey) ?? all[0];
  const fields = type ? fieldsOf(type.fields) : [];
  const { value, errors } = valuesFrom(fields, raw);
  const queues = [...new Set(all.map((t) => t.defaultQueue).filter((q): q is string => typeof q === 'string'))];

  const submit = () => {
    setTried(true);
    if (!type || !title.trim() || Object.keys(errors).length > 0) return;
    const body: NewCase = { type: type.key, title: title.trim(), priority, fields: value, ...(description.trim() ? { description } : {}), ...(staff && queue.trim() ? { queue: queue.trim() } : {}) };
    create.mutate(body, { onSuccess: (created) => void navigate(`/cases/${(created as { id: string }).id}`) });
  };

  if (types.isPending) return <p className="loading">Loading…</p>;
  return (
    <section className="panel new-case" aria-labelledby="new-case-title">
      <h1 id="new-case-title">New case</h1>
      <ErrorNotice error={types.error} />
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <div className="form-row">
          <label htmlFor="new-case-type">Case type</label>
          <select
            id="new-case-type"
            value={type?.key ?? ''}
            onChange={(e) => {
              setTypeKey(e.target.value);
              setRaw({}); // another type has other fields
            }}
          >
            {all.map((t) => (
              <option key={t.key} value={t.key}>
                {t.name} (v{t.version})
              </option>
            ))}
          </select>
        </div>
        <div className="form-row">
          <label htmlFor="new-case-title-input">
            Title<span aria-hidden="true"> *</span>
          </label>
          <input
            id="new-case-title-input"
            required
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            aria-invalid={tried && !title.trim() ? true : undefined}
            aria-describedby={tried && !title.trim() ? 'new-case-title-error' : undefined}
          />
          {tried && !title.trim() && (
            <p className="field-error" id="new-case-title-error">
              A case needs a title.
            </p>
          )}
        </div>
        <div className="form-row">
          <label htmlFor="new-case-description">Description</label>
          <textarea id="new-case-description" rows={4} maxLength={20_000} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <div className="form-row">
          <label htmlFor="new-case-priority">Priority</label>
          <select id="new-case-priority" value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
        {staff && (
          <div className="form-row">
            <label htmlFor="new-case-queue">Queue</label>
            <input id="new-case-queue" list="new-case-queues" value={queue} onChange={(e) => setQueue(e.target.value)} placeholder={type?.defaultQueue ?? ''} autoComplete="off" />
            <datalist id="new-case-queues">
              {queues.map((q) => (
                <option key={q} value={q} />
              ))}
            </datalist>
            <p className="small muted">Empty: the type’s default queue{type?.defaultQueue ? ` (${type.defaultQueue})` : ''}.</p>
          </div>
        )}
        {fields.length > 0 && (
          <fieldset>
            <legend>{type?.name} fields</legend>
            <SchemaForm fields={fields} raw={raw} errors={errors} onChange={setRaw} disabled={create.isPending} revealErrors={tried} />
          </fieldset>
        )}
        <ErrorNotice error={create.error} title="The case was not opened." />
        <div className="buttons">
          <button type="submit" className="primary" disabled={create.isPending || !type}>
            Open case
          </button>
        </div>
      </form>
    </section>
  );
}
