import { useCallback, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useCaseList, useCaseTypes } from '../../api/cases';
import { useUserNames } from '../../api/directory';
import { useCaseCount } from '../../api/queue';
import type { CaseListQuery, CaseSummary } from '../../api/types';
import { Badge } from '../../components/Badge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { When } from '../../components/Inert';
import { useNow } from '../../components/use-now';
import { FILTERS, QueueFilters, type Filters } from './QueueFilters';
import { countLine } from './count-line';
import { SavedViews } from './SavedViews';
import { SortHeader } from './SortHeader';
import { useListKeys } from './useListKeys';
import './queue.css';

/** The queue: cases filtered and paged by the server, worked from the keyboard. */
export function QueueScreen() {
  const [params, setParams] = useSearchParams();
  const filters: Filters = Object.fromEntries(FILTERS.flatMap((name) => (params.get(name) ? [[name, params.get(name)!]] : [])));
  const list = useCaseList(filters as CaseListQuery);
  const count = useCaseCount(filters as CaseListQuery);
  const types = useCaseTypes();
  const nameOf = useUserNames();
  const navigate = useNavigate();
  const searchRef = useRef<HTMLInputElement>(null);
  const [selected, setSelected] = useState(0);
  const rows = useMemo(() => list.data?.pages.flatMap((page) => page.items ?? []) ?? [], [list.data]);

  const open = useCallback((index: number) => rows[index] && void navigate(`/cases/${rows[index].id}`), [rows, navigate]);
  const select = useCallback((index: number) => {
    setSelected(index);
    document.getElementById(`case-row-${index}`)?.scrollIntoView({ block: 'nearest' });
  }, []);
  const focusSearch = useCallback(() => searchRef.current?.focus(), []);
  useListKeys({ count: rows.length, selected, select, open, focusSearch });

  const change = (next: Filters) => {
    setSelected(0);
    setParams(Object.fromEntries(Object.entries(next).filter(([, v]) => v)) as Record<string, string>);
  };

  return (
    <section aria-labelledby="queue-title">
      <h1 id="queue-title">Cases</h1>
      <div className="queue-layout">
        <SavedViews filters={filters} />
        <div className="queue-main">
          <QueueFilters filters={filters} onChange={change} types={types.data ?? []} searchRef={searchRef} />
          <ErrorNotice error={list.error ?? count.error} />
          <p className="count-line" aria-live="polite">
            {list.isPending ? 'Loading…' : countLine(count.data, rows.length, list.hasNextPage)}
            <span className="hint"> · j/k to move, Enter to open, / to search</span>
          </p>
          <div className="table-wrap">
            <table className="cases">
              <thead>
                <tr>
                  <th scope="col">Case</th>
                  <th scope="col">Status</th>
                  <SortHeader label="Priority" column="priority" sort={filters.sort} onSort={(sort) => change({ ...filters, sort })} />
                  <th scope="col">Queue</th>
                  <th scope="col">Assignee</th>
                  <th scope="col">Due</th>
                  <SortHeader label="Opened" column="created" sort={filters.sort} onSort={(sort) => change({ ...filters, sort })} />
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row, index) => (
                  <CaseRow key={row.id} row={row} index={index} selected={index === selected} assignee={row.assigneeId ? nameOf(row.assigneeId) : '—'} />
                ))}
              </tbody>
            </table>
          </div>
          {list.hasNextPage && (
            <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
              {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
            </button>
          )}
        </div>
      </div>
    </section>
  );
}

function CaseRow({ row, index, selected, assignee }: { row: CaseSummary; index: number; selected: boolean; assignee: string }) {
  const now = useNow();
  const overdue = row.dueAt && new Date(row.dueAt).getTime() < now;
  return (
    <tr id={`case-row-${index}`} className={selected ? 'selected' : undefined} aria-current={selected ? 'true' : undefined}>
      <td>
        <Link to={`/cases/${row.id}`}>{row.title}</Link>
        <span className="sub">{row.type}</span>
      </td>
      <td>
        <Badge>{row.status ?? ''}</Badge>
        {row.awaitingApproval && (
          <span className="awaiting">
            <Badge tone="warn">awaiting approval</Badge>
          </span>
        )}
      </td>
      <td>
        <Badge>{row.priority ?? ''}</Badge>
      </td>
      <td>{row.queue}</td>
      <td>{assignee}</td>
      <td className={overdue ? 'overdue' : undefined}>
        <When at={row.dueAt} />
      </td>
      <td>
        <When at={row.createdAt} />
      </td>
      <td>
        <When at={row.updatedAt} />
      </td>
    </tr>
  );
}
