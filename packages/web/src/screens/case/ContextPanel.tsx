import { useCaseContext, useRefreshContext, type PluginContext } from '../../api/context';
import { useCan } from '../../api/session';
import { ErrorNotice } from '../../components/ErrorNotice';
import { When } from '../../components/Inert';
import './context.css';

/**
 * What plugins found about the case in their systems (the payment, its refunds, the customer's
 * charges), per plugin, with when it was read. Plugin text is untrusted: shown as text, never as
 * HTML or links, and nothing here can start an action.
 */
export function ContextPanel({ caseId }: { caseId: string }) {
  const context = useCaseContext(caseId);
  const refresh = useRefreshContext(caseId);
  const canRefresh = useCan('case:update');
  const items = context.data?.items ?? [];
  if (!context.isPending && !context.error && items.length === 0) return null;

  return (
    <section className="panel context-panel" aria-labelledby="context-title">
      <h2 id="context-title">Context</h2>
      <ErrorNotice error={context.error} />
      {items.map((item) => (
        <PluginFacts key={item.plugin} item={item} />
      ))}
      {canRefresh && items.length > 0 && (
        <div className="form-row">
          <button type="button" disabled={refresh.isPending || items.some((i) => i.status === 'pending')} onClick={() => refresh.mutate()}>
            Refresh
          </button>
          <ErrorNotice error={refresh.error} />
        </div>
      )}
    </section>
  );
}

function PluginFacts({ item }: { item: PluginContext }) {
  const answer = item.answer;
  return (
    <article className="context-plugin" aria-label={`Context from ${item.plugin}`}>
      <h3>
        {item.plugin}{' '}
        <span className="small muted">
          {item.status === 'pending' && 'asking…'}
          {item.status === 'unavailable' && <span className="context-unavailable">unavailable: the plugin did not answer (<When at={item.updatedAt} />)</span>}
          {item.status === 'attached' && answer && (
            <>
              fetched <When at={answer.fetchedAt} />
            </>
          )}
        </span>
      </h3>
      {answer?.erased && <p className="erased">[erased]</p>}
      {answer && !answer.erased && (
        <>
          {answer.summary && <p>{answer.summary}</p>}
          <dl className="fields context-facts">
            {(answer.facts ?? []).map((fact, i) => (
              <div key={i} className={`fact fact-${fact.kind ?? 'text'}`}>
                <dt>{fact.label}</dt>
                <dd>{fact.value}</dd>
              </div>
            ))}
          </dl>
          {item.status !== 'attached' && (
            <p className="small muted">
              Showing the answer of <When at={answer.fetchedAt} />.
            </p>
          )}
        </>
      )}
      {!answer && item.status === 'pending' && <p className="muted">Waiting for the plugin’s first answer.</p>}
    </article>
  );
}
