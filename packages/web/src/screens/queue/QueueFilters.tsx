import { useState, type RefObject } from 'react';
import type { CaseType } from '../../api/types';

export const FILTERS = ['q', 'status', 'type', 'queue', 'priority', 'assignee', 'sla', 'awaiting', 'sort'] as const;
export type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

interface Props {
  readonly filters: Filters;
  readonly onChange: (filters: Filters) => void;
  readonly types: readonly CaseType[];
  readonly searchRef: RefObject<HTMLInputElement | null>;
}

const PRIORITIES = ['urgent', 'high', 'normal', 'low'];

/** The server-side filters the cases API offers; every change is a new query, never a filter over loaded rows. */
export function QueueFilters({ filters, onChange, types, searchRef }: Props) {
  const [text, setText] = useState(filters.q ?? '');
  // The search box follows the URL when it changes elsewhere (back button), keeping what is typed otherwise.
  const [shownQ, setShownQ] = useState(filters.q);
  if (filters.q !== shownQ) {
    setShownQ(filters.q);
    setText(filters.q ?? '');
  }
  const statuses = [...new Map(types.flatMap((t) => t.statuses ?? []).map((s) => [s.key, s.name])).entries()];
  const set = (name: keyof Filters, value: string) => onChange({ ...filters, [name]: value || undefined });

  return (
    <form
      className="filters"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        set('q', text.trim());
      }}
    >
      <div className="form-row grow">
        <label htmlFor="queue-search">Search</label>
        <input id="queue-search" ref={searchRef} type="search" placeholder="Title or description (press /)" value={text} maxLength={200} onChange={(e) => setText(e.target.value)} />
      </div>
      <Select label="Status" value={filters.status} onChange={(v) => set('status', v)} options={statuses} />
      <Select label="Type" value={filters.type} onChange={(v) => set('type', v)} options={types.map((t) => [t.key, t.name])} />
      <Select label="Priority" value={filters.priority} onChange={(v) => set('priority', v)} options={PRIORITIES.map((p) => [p, p])} />
      <Select
        label="Assignee"
        value={filters.assignee}
        onChange={(v) => set('assignee', v)}
        options={[
          ['me', 'Me'],
          ['none', 'Unassigned'],
        ]}
      />
      <Select
        label="SLA"
        value={filters.sla}
        onChange={(v) => set('sla', v)}
        options={[
          ['overdue', 'Overdue'],
          ['at_risk', 'At risk (under a fifth of the time left)'],
        ]}
      />
      <Select label="Approval" value={filters.awaiting === 'approval' ? 'approval' : undefined} onChange={(v) => set('awaiting', v)} options={[['approval', 'Awaiting approval']]} />
      {/* The same parameter: a case list waits for one thing at a time. */}
      <Select label="Triage" value={filters.awaiting === 'triage' ? 'triage' : undefined} onChange={(v) => set('awaiting', v)} options={[['triage', 'Awaiting triage']]} />
      <div className="form-row">
        <label htmlFor="filter-queue">Queue</label>
        <input id="filter-queue" size={12} value={filters.queue ?? ''} onChange={(e) => set('queue', e.target.value.trim().toLowerCase())} />
      </div>
      <Select
        label="Order"
        value={filters.sort}
        any="Newest first"
        onChange={(v) => set('sort', v)}
        options={[
          ['created', 'Oldest first'],
          ['priority', 'Priority'],
        ]}
      />
    </form>
  );
}

function Select(props: { label: string; value: string | undefined; onChange: (value: string) => void; options: [string, string][]; any?: string }) {
  const id = `filter-${props.label.toLowerCase()}`;
  return (
    <div className="form-row">
      <label htmlFor={id}>{props.label}</label>
      <select id={id} value={props.value ?? ''} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">{props.any ?? 'Any'}</option>
        {props.options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}
