import type { Filters } from './QueueFilters';

type Sort = NonNullable<Filters['sort']> | undefined;

/**
 * A column header that sorts the queue by the server's orders: "Opened" toggles newest/oldest first,
 * "Priority" sorts by priority. The order lives in the URL like the filters.
 */
export function SortHeader({ label, sort, onSort, column }: { label: string; sort: Sort; onSort: (sort: Sort) => void; column: 'created' | 'priority' }) {
  const newest = sort === undefined || sort === '-created';
  const active = column === 'priority' ? sort === 'priority' : sort !== 'priority';
  const direction = column === 'priority' ? 'ascending' : newest ? 'descending' : 'ascending';
  const next: Sort = column === 'priority' ? 'priority' : active && newest ? 'created' : undefined;
  const explain = column === 'priority' ? 'most urgent first' : next === 'created' ? 'oldest first' : 'newest first';
  return (
    <th scope="col" aria-sort={active ? direction : 'none'}>
      <button type="button" className="link sort" onClick={() => onSort(next)} title={`Sort by ${label.toLowerCase()}, ${explain}`}>
        {label}
        <span aria-hidden="true">{active ? (direction === 'descending' ? ' ↓' : ' ↑') : ''}</span>
      </button>
    </th>
  );
}
