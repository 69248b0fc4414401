import { useState } from 'react';
import { useExchange } from '../../api/exchanges';
import { ErrorNotice } from '../ErrorNotice';
import { Hash } from '../Inert';
import { exchangeView } from './exchange-view';

interface Props {
  readonly caseId: string;
  readonly request: string | null;
  readonly response: string | null;
}

/**
 * "Show request and response" under an execution: fetched only when opened, shown as inert text
 * exactly as the server presents it (it has replaced credential headers and configured secrets).
 */
export function ExchangeDisclosure({ caseId, request, response }: Props) {
  const [open, setOpen] = useState(false);
  return (
    <details className="exchange" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Show request and response</summary>
      {open && (
        <div className="exchange-sides">
          {request ? <ExchangeSide caseId={caseId} sha256={request} label="Request" /> : <p className="muted">No request was recorded.</p>}
          {response ? <ExchangeSide caseId={caseId} sha256={response} label="Response" /> : <p className="muted">No response came back.</p>}
        </div>
      )}
    </details>
  );
}

function ExchangeSide({ caseId, sha256, label }: { readonly caseId: string; readonly sha256: string; readonly label: string }) {
  const exchange = useExchange(caseId, sha256);
  if (exchange.isPending) return <p className="loading">Loading the {label.toLowerCase()}…</p>;
  if (exchange.error) return <ErrorNotice error={exchange.error} title={`${label}:`} />;
  const view = exchangeView(exchange.data.content);
  return (
    <section className={`exchange-side exchange-${label.toLowerCase()}`} aria-label={label}>
      <h4>
        {label}
        {view.method !== undefined && (
          <>
            {' '}
            <code>
              {view.method} {view.path}
            </code>
          </>
        )}
        {view.status !== undefined && <> · status {view.status}</>}
      </h4>
      {view.url !== undefined && <p className="small muted">{view.url}</p>}
      {view.headers.length > 0 && (
        <dl className="event-details exchange-headers">
          {view.headers.map(([name, value]) => (
            <div key={name}>
              <dt>{name}</dt>
              <dd>
                <code>{value}</code>
              </dd>
            </div>
          ))}
        </dl>
      )}
      {view.body !== undefined && <pre className="json exchange-body">{view.body}</pre>}
      <p className="small">
        SHA-256 <Hash value={sha256} />
      </p>
    </section>
  );
}
