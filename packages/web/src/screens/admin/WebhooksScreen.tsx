import { useState } from 'react';
import { useCreateWebhook, useDeleteWebhook, useReplayDelivery, useSetWebhookEnabled, useWebhookDeliveries, useWebhooks } from '../../api/webhooks';
import { Badge } from '../../components/Badge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { When } from '../../components/Inert';

const list = (text: string) => text.split(',').map((s) => s.trim()).filter((s) => s !== '');

/** Outbound webhook endpoints: add one (its secret is shown once), switch it off or on, remove it, read and replay its deliveries. */
export function WebhooksScreen() {
  const endpoints = useWebhooks();
  const setEnabled = useSetWebhookEnabled();
  const remove = useDeleteWebhook();
  const [open, setOpen] = useState<string | undefined>();

  return (
    <>
      <h1>Webhooks</h1>
      <p className="hint">
        Case events are POSTed to these URLs, signed the Standard Webhooks way. A message names the event and the case, never personal data or free text.
      </p>
      <ErrorNotice error={endpoints.error ?? setEnabled.error ?? remove.error} />
      <div className="table-wrap">
        <table className="admin-table stacked">
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">Case types and queues</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(endpoints.data?.items ?? []).map((e) => (
              <tr key={e.id}>
                <td data-label="URL">
                  <code>{e.url}</code>
                  {e.description && <div className="muted">{e.description}</div>}
                </td>
                <td data-label="Events">{e.eventTypes?.join(', ')}</td>
                <td data-label="Filters">{[...(e.caseTypes ?? []), ...(e.queues ?? [])].join(', ') || <span className="muted">all</span>}</td>
                <td data-label="State">{e.enabled ? <Badge tone="ok">enabled</Badge> : <Badge tone="warn">{e.disabledReason === 'gone' ? 'disabled: 410 gone' : 'disabled'}</Badge>}</td>
                <td className="row-actions">
                  <button type="button" onClick={() => setOpen(open === e.id ? undefined : e.id)} aria-expanded={open === e.id} aria-label={`Deliveries to ${e.url}`}>
                    Deliveries
                  </button>
                  <button type="button" disabled={setEnabled.isPending} onClick={() => setEnabled.mutate({ id: e.id!, enabled: !e.enabled })} aria-label={`${e.enabled ? 'Disable' : 'Enable'} ${e.url}`}>
                    {e.enabled ? 'Disable' : 'Enable'}
                  </button>
                  <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate(e.id!)} aria-label={`Remove ${e.url}`}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
            {endpoints.data?.items?.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No endpoints yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {open && <DeliveryLog endpointId={open} url={endpoints.data?.items?.find((e) => e.id === open)?.url ?? ''} />}
      <NewWebhookForm />
    </>
  );
}

function DeliveryLog({ endpointId, url }: { endpointId: string; url: string }) {
  const deliveries = useWebhookDeliveries(endpointId);
  const replay = useReplayDelivery();
  return (
    <section className="panel" aria-labelledby="delivery-log-title">
      <h2 id="delivery-log-title">Deliveries to {url}</h2>
      <ErrorNotice error={deliveries.error ?? replay.error} />
      <div className="table-wrap">
        <table className="admin-table stacked">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Answer</th>
              <th scope="col">Last attempt</th>
              <th scope="col">
                <span className="visually-hidden">Replay</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(deliveries.data?.items ?? []).map((d) => (
              <tr key={d.id}>
                <td data-label="Event">
                  {d.eventKind}
                  <div className="muted hash">{d.id}</div>
                </td>
                <td data-label="Status">
                  <Badge tone={d.status === 'delivered' ? 'ok' : d.status === 'failed' ? 'danger' : d.status === 'retrying' ? 'warn' : 'quiet'}>{d.status!}</Badge>
                </td>
                <td data-label="Attempts">
                  {d.attempts}
                  {d.replays ? <span className="muted"> ({d.replays} replayed)</span> : null}
                </td>
                <td data-label="Answer">{d.responseStatus !== null && d.responseStatus !== undefined ? `HTTP ${d.responseStatus}` : (d.errorCode ?? '')}{d.durationMs !== null && d.durationMs !== undefined ? <span className="muted"> in {d.durationMs} ms</span> : null}</td>
                <td data-label="Last attempt">
                  <When at={d.lastAttemptAt} />
                </td>
                <td className="row-actions">
                  {(d.status === 'delivered' || d.status === 'failed' || d.status === 'skipped') && (
                    <button type="button" disabled={replay.isPending} onClick={() => replay.mutate(d.id!)} aria-label={`Replay ${d.eventKind} ${d.id}`}>
                      Replay
                    </button>
                  )}
                </td>
              </tr>
            ))}
            {deliveries.data?.items?.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  Nothing sent yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function NewWebhookForm() {
  const create = useCreateWebhook();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('*');
  const [caseTypes, setCaseTypes] = useState('');
  const [queues, setQueues] = useState('');
  const [description, setDescription] = useState('');
  const secret = create.data?.secret;

  return (
    <form
      className="panel"
      aria-labelledby="new-webhook-title"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate({ url, eventTypes: list(events), caseTypes: list(caseTypes), queues: list(queues), ...(description ? { description } : {}) }, {
          onSuccess: () => {
            setUrl('');
            setDescription('');
          },
        });
      }}
    >
      <h2 id="new-webhook-title">New endpoint</h2>
      <div className="form-grid">
        <div>
          <label htmlFor="webhook-url">URL</label>
          <input id="webhook-url" type="url" required maxLength={2000} placeholder="https://hooks.example.com/latch" value={url} onChange={(e) => setUrl(e.target.value)} />
        </div>
        <div>
          <label htmlFor="webhook-events">Event kinds (comma-separated; * for all, action.* for a family)</label>
          <input id="webhook-events" required value={events} onChange={(e) => setEvents(e.target.value)} />
        </div>
        <div>
          <label htmlFor="webhook-case-types">Case types (empty: all)</label>
          <input id="webhook-case-types" value={caseTypes} onChange={(e) => setCaseTypes(e.target.value)} />
        </div>
        <div>
          <label htmlFor="webhook-queues">Queues (empty: all)</label>
          <input id="webhook-queues" value={queues} onChange={(e) => setQueues(e.target.value)} />
        </div>
        <div>
          <label htmlFor="webhook-description">Description (optional)</label>
          <input id="webhook-description" maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
      </div>
      <ErrorNotice error={create.error} />
      {secret && (
        <div className="secret-once" role="status">
          <p>
            <strong>Copy this signing secret now: it is not shown again.</strong> Receivers verify each message with it.
          </p>
          <code className="hash" aria-label="New signing secret">
            {secret}
          </code>
        </div>
      )}
      <button type="submit" className="primary" disabled={create.isPending || !url || list(events).length === 0}>
        Add endpoint
      </button>
    </form>
  );
}
