import type { CaseDetail, CaseType } from '../../api/types';
import { useUpdateCase } from '../../api/cases';
import { useCan, useMe } from '../../api/session';
import { Badge } from '../../components/Badge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { When } from '../../components/Inert';
import { useNow } from '../../components/use-now';

interface Props {
  readonly detail: CaseDetail;
  readonly type: CaseType | undefined;
  readonly nameOf: (id: string | null | undefined) => string;
}

/** The case at a glance: status, priority, assignee, requester, deadline, and the moves its type allows. */
export function CaseHeader({ detail, type, nameOf }: Props) {
  const update = useUpdateCase(detail.id!);
  const me = useMe().data;
  const canUpdate = useCan('case:update');
  const statusName = (key: string) => type?.statuses.find((s) => s.key === key)?.name ?? key.replace(/_/g, ' ');
  const now = useNow();
  const overdue = detail.dueAt && new Date(detail.dueAt).getTime() < now;
  const requester = detail.requester;

  return (
    <header className="case-header">
      <p className="crumbs">
        {type?.name ?? detail.type} · queue {detail.queue} · version {detail.version}
      </p>
      <h1>{detail.title}</h1>
      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <Badge>{detail.status ?? ''}</Badge>
          </dd>
        </div>
        <div>
          <dt>Priority</dt>
          <dd>
            <Badge>{detail.priority ?? ''}</Badge>
          </dd>
        </div>
        <div>
          <dt>Assignee</dt>
          <dd>{detail.assigneeId ? nameOf(detail.assigneeId) : 'Unassigned'}</dd>
        </div>
        <div>
          <dt>Requester</dt>
          <dd>{[requester?.name, requester?.email].filter(Boolean).join(' · ') || (requester?.userId ? nameOf(requester.userId) : 'none')}</dd>
        </div>
        <div>
          <dt>Due</dt>
          <dd className={overdue ? 'overdue' : undefined}>
            <When at={detail.dueAt} />
            {overdue ? ' (overdue)' : ''}
          </dd>
        </div>
      </dl>
      {detail.description && <p className="description">{detail.description}</p>}
      {canUpdate && (
        <div className="transitions" aria-label="Change status">
          {(detail.allowedTransitions ?? []).map((to) => (
            <button key={to} type="button" disabled={update.isPending} onClick={() => update.mutate({ status: to, version: detail.version! })}>
              Move to {statusName(to)}
            </button>
          ))}
          {me?.user?.id && detail.assigneeId !== me.user.id && (
            <button type="button" disabled={update.isPending} onClick={() => update.mutate({ assigneeId: me.user!.id!, version: detail.version! })}>
              Assign to me
            </button>
          )}
        </div>
      )}
      <ErrorNotice error={update.error} />
    </header>
  );
}
