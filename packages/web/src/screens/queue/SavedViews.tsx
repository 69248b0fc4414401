import { useState } from 'react';
import { Link } from 'react-router';
import { useDeleteView, useSaveView, useViews, type SavedView, type ViewQuery } from '../../api/queue';
import { ErrorNotice } from '../../components/ErrorNotice';
import type { Filters } from './QueueFilters';

const searchOf = (query: Readonly<Record<string, string | undefined>>) => new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => Boolean(entry[1]))).toString();

/** The user's saved views (kept by the server, per user): pick one, save the current filters as one, delete one. */
export function SavedViews({ filters }: { filters: Filters }) {
  const views = useViews();
  const save = useSaveView();
  const remove = useDeleteView();
  const [name, setName] = useState('');
  const current = searchOf(filters);

  return (
    <section className="saved-views" aria-labelledby="saved-views-title">
      <h2 id="saved-views-title">Saved views</h2>
      <ul>
        <li>
          <Link to={{ search: '' }} aria-current={current === '' ? 'page' : undefined}>
            All cases
          </Link>
        </li>
        {(views.data ?? []).map((view) => (
          <ViewItem key={view.id} view={view} current={searchOf(view.query ?? {}) === current} onDelete={() => remove.mutate(view.id)} deleting={remove.isPending} />
        ))}
      </ul>
      <form
        className="save-view"
        onSubmit={(event) => {
          event.preventDefault();
          if (!name.trim()) return;
          save.mutate({ name: name.trim(), query: filters as ViewQuery }, { onSuccess: () => setName('') });
        }}
      >
        <label htmlFor="view-name">Save these filters as</label>
        <input id="view-name" value={name} maxLength={80} placeholder="View name" onChange={(e) => setName(e.target.value)} />
        <button type="submit" disabled={save.isPending || !name.trim()}>
          Save view
        </button>
      </form>
      <ErrorNotice error={views.error ?? save.error ?? remove.error} />
    </section>
  );
}

function ViewItem({ view, current, onDelete, deleting }: { view: SavedView; current: boolean; onDelete: () => void; deleting: boolean }) {
  return (
    <li>
      <Link to={{ search: searchOf(view.query ?? {}) }} aria-current={current ? 'page' : undefined}>
        {view.name}
      </Link>
      <button type="button" className="link delete-view" aria-label={`Delete view ${view.name}`} title="Delete this view" disabled={deleting} onClick={onDelete}>
        ×
      </button>
    </li>
  );
}
