import { useParams } from 'react-router';
import { useCase, useCaseType, useTimeline } from '../../api/cases';
import { useUserNames } from '../../api/directory';
import { useCaseLive } from '../../api/live';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ProofPanel } from '../../components/ProofPanel';
import { Timeline } from '../../components/timeline/Timeline';
import { ActionsPanel } from './ActionsPanel';
import { AttachmentsPanel } from './AttachmentsPanel';
import { CaseFields } from './CaseFields';
import { CaseHeader } from './CaseHeader';
import { ChecklistPanel } from './ChecklistPanel';
import { ContextPanel } from './ContextPanel';
import { LinksPanel } from './LinksPanel';
import { NotesPanel } from './NotesPanel';
import { OriginalMessage } from './OriginalMessage';
import { ScheduledRevokes } from './ScheduledRevokes';
import { TriagePanel } from './TriagePanel';

/** The whole story of one case on one screen: what it is, what can be done, and everything that happened. */
export function CaseScreen() {
  const id = useParams().id!;
  const detail = useCase(id);
  const type = useCaseType(detail.data?.type, detail.data?.typeVersion);
  const timeline = useTimeline(id);
  useCaseLive(id);
  const nameOf = useUserNames();

  if (detail.isPending) return <p className="loading">Loading…</p>;
  if (detail.error) return <ErrorNotice error={detail.error} />;
  const events = timeline.data?.pages.flatMap((page) => page.items ?? []) ?? [];
  const loadMore = () => {
    if (!timeline.isFetchingNextPage) void timeline.fetchNextPage();
  };

  return (
    <div className="case-page">
      <CaseHeader detail={detail.data} type={type.data} nameOf={nameOf} />
      <div className="case-columns">
        <div className="case-main">
          <TriagePanel caseId={id} detail={detail.data} />
          <CaseFields detail={detail.data} type={type.data} />
          <ContextPanel caseId={id} />
          <OriginalMessage detail={detail.data} />
          <ChecklistPanel caseId={id} nameOf={nameOf} />
          <ActionsPanel detail={detail.data} type={type.data} nameOf={nameOf} />
          <ScheduledRevokes events={events} />
          <NotesPanel caseId={id} nameOf={nameOf} />
          <AttachmentsPanel caseId={id} />
          <LinksPanel caseId={id} />
          <ProofPanel caseId={id} />
        </div>
        <section className="panel case-timeline" aria-labelledby="timeline-title">
          <h2 id="timeline-title">
            Timeline ({events.length}
            {timeline.hasNextPage ? "+" : ""})
          </h2>
          <ErrorNotice error={timeline.error} />
          <Timeline events={events} nameOf={nameOf} caseId={id} hasMore={timeline.hasNextPage} onNeedMore={loadMore} />
        </section>
      </div>
    </div>
  );
}
