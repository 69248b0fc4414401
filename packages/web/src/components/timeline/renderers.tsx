import { Hash, InertValue } from '../Inert';
import { ExchangeDisclosure } from './ExchangeDisclosure';
import type { Renderer, RendererProps } from './types';

const text = (value: unknown) => (typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value));
/** Case attributes as people call them; typed fields are shown by their key. */
const FIELD_NAMES: Record<string, string> = { assigneeId: 'assignee', queue: 'queue', priority: 'priority', title: 'title', description: 'description' };
const fieldName = (field: unknown) => FIELD_NAMES[text(field)] ?? text(field).replace(/^fields\./, '');

const shortId = (value: unknown) => (typeof value === 'string' ? value.slice(-8) : '?');

function Details({ rows }: { rows: [string, unknown][] }) {
  const shown = rows.filter(([, value]) => value !== undefined);
  if (shown.length === 0) return null;
  return (
    <dl className="event-details">
      {shown.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>
            <InertValue value={value} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

const CaseCreated: Renderer = ({ data }) => (
  <>
    <p className="what">
      Opened the case as <strong>{text(data.type)}</strong> v{text(data.typeVersion)} in queue {text(data.queue)}
    </p>
    <Details rows={[['Title', data.title], ['Priority', data.priority], ['Fields', data.fields]]} />
  </>
);

const FieldChanged: Renderer = ({ data, nameOf }) => {
  const changes = Array.isArray(data.changes) ? (data.changes as { field?: string; old?: unknown; new?: unknown }[]) : [];
  const show = (field: string | undefined, value: unknown) => (field === 'assigneeId' && typeof value === 'string' ? nameOf(value) : value);
  return (
    <>
      <p className="what">Changed {changes.map((c) => fieldName(c.field)).join(', ')}</p>
      <table className="changes">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
          </tr>
        </thead>
        <tbody>
          {changes.map((change, i) => (
            <tr key={i}>
              <td>{fieldName(change.field)}</td>
              <td className="old">
                <InertValue value={show(change.field, change.old)} />
              </td>
              <td className="new">
                <InertValue value={show(change.field, change.new)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
};

const StatusChanged: Renderer = ({ data }) => (
  <p className="what">
    Moved from <strong>{text(data.from)}</strong> to <strong>{text(data.to)}</strong>
  </p>
);

const NoteAdded: Renderer = ({ data }) => (
  <>
    <p className="what">Added a note</p>
    <blockquote className="note-body">
      <InertValue value={data.body} />
    </blockquote>
  </>
);

const AttachmentAdded: Renderer = ({ data }) => (
  <>
    <p className="what">
      Attached <InertValue value={data.filename} />
    </p>
    <Details rows={[['Type', data.contentType], ['Size', `${text(data.size)} bytes`]]} />
    <p className="small">
      SHA-256 <Hash value={text(data.sha256)} />
    </p>
  </>
);

const LinkChanged: Renderer = ({ event, data }) => (
  <p className="what">
    {event.kind === 'link.added' ? 'Linked' : 'Unlinked'} case {shortId(data.fromCaseId)} {text(data.kind).replace(/_/g, ' ')} case {shortId(data.toCaseId)}
  </p>
);

const ActionProposed: Renderer = ({ event, data }) => (
  <>
    <p className="what">
      {event.kind === 'action.updated' ? 'Changed the input of' : 'Proposed'} <strong>{text(data.plugin)}</strong> · <strong>{text(data.action)}</strong>
      {data.status === 'approved' ? ', approved at once by the policy' : ''}
    </p>
    <Details rows={[['Payload', data.input], ['Needs', data.summary], ['Policy error', data.policyError]]} />
    <p className="small">
      Payload hash <Hash value={text(data.payloadHash)} />
    </p>
  </>
);

const Decided: Renderer = ({ event, data, nameOf }) => (
  <>
    <p className="what">
      {event.kind === 'approval.granted' ? 'Approved' : 'Denied'} action {shortId(data.actionId)} at step “{text(data.stepName)}”
      {typeof data.onBehalfOf === 'string' ? ` on behalf of ${nameOf(data.onBehalfOf)}` : ''}
    </p>
    <Details rows={[['Reason', data.reason]]} />
    <p className="small">
      Payload hash <Hash value={text(data.payloadHash)} />
    </p>
  </>
);

const ActionApproved: Renderer = ({ data }) => (
  <p className="what">
    Action {shortId(data.actionId)} is approved{data.automatic === true ? ': the policy required no one' : ': every required step is done'}
  </p>
);

const ActionVoided: Renderer = ({ data }) => {
  const voided = Array.isArray(data.voidedDecisions) ? data.voidedDecisions.length : 0;
  return (
    <>
      <p className="what">
        The input of action {shortId(data.actionId)} changed: {voided === 1 ? '1 earlier decision no longer counts' : `${voided} earlier decisions no longer count`}
      </p>
      <p className="small">
        Previous payload hash <Hash value={text(data.previousPayloadHash)} />
      </p>
    </>
  );
};

const ActionEnded: Renderer = ({ event, data }) => (
  <p className="what">
    Action {shortId(data.actionId)} {event.kind === 'action.expired' ? 'expired: no decision before the deadline' : 'was withdrawn'}
  </p>
);

const EXECUTION_WORDS: Record<string, string> = {
  'action.started': 'Started',
  'action.retried': 'Retry requested for',
  'action.succeeded': 'Succeeded:',
  'action.reconciled': 'Confirmed with the external system:',
  'action.pending': 'Still pending:',
  'action.failed': 'Failed:',
};

const blobHash = (value: unknown) => (typeof value === 'string' && /^[0-9a-f]{64}$/.test(value) ? value : null);

const Execution: Renderer = ({ event, data, caseId }) => (
  <>
    <p className="what">
      {EXECUTION_WORDS[event.kind ?? ''] ?? event.kind} action {shortId(data.actionId)}
      {data.execution !== undefined ? ` (execution ${text(data.execution)}${data.attempt !== undefined ? `, attempt ${text(data.attempt)}` : ''})` : ''}
    </p>
    <Details rows={[['Summary', data.summary], ['Effect', data.effect], ['Idempotency key', data.idempotencyKey]]} />
    {data.output !== undefined && (
      <details>
        <summary>Plugin output</summary>
        <InertValue value={data.output} />
      </details>
    )}
    {(data.request !== undefined || data.response !== undefined) && (
      <p className="small">
        Request <Hash value={text(data.request)} /> · Response <Hash value={text(data.response)} />
      </p>
    )}
    {caseId !== undefined && (blobHash(data.request) ?? blobHash(data.response)) !== null && (
      <ExchangeDisclosure caseId={caseId} request={blobHash(data.request)} response={blobHash(data.response)} />
    )}
  </>
);

const ATTEMPTS: Record<string, string> = {
  'action.propose': 'propose an action',
  'action.decide': 'decide on an action',
  'action.edit': 'change an action',
  'action.cancel': 'withdraw an action',
  'action.retry': 'retry an action',
};

const AttemptBlocked: Renderer = ({ data }) => {
  const details = data.details as Record<string, unknown> | undefined;
  return (
    <>
      <p className="what">
        Tried to {ATTEMPTS[text(data.attempt)] ?? text(data.attempt)}
        {details?.decision !== undefined ? ` (${text(details.decision)})` : ''} and was <strong>refused</strong>: {text(data.code)}
      </p>
      <Details rows={[['Why', data.message], ['Action', data.actionId], ['What was sent', details && details.decision === undefined ? details : undefined]]} />
    </>
  );
};

const CaseExported: Renderer = ({ data }) => <p className="what">Exported the evidence bundle (up to event {text(data.head)})</p>;

const SubjectErased: Renderer = ({ event, data }) => (
  <>
    <p className="what">Erased the requester’s personal data ({text(data.values)} values, {text(data.blobs)} files)</p>
    <Details rows={[['Reason', event.reason]]} />
  </>
);

/**
 * Every event kind has one renderer, here. A kind missing from this table still shows: the
 * fallback prints its data as text.
 */
export const RENDERERS: Readonly<Record<string, Renderer>> = {
  'case.created': CaseCreated,
  'field.changed': FieldChanged,
  'status.changed': StatusChanged,
  'note.added': NoteAdded,
  'attachment.added': AttachmentAdded,
  'link.added': LinkChanged,
  'link.removed': LinkChanged,
  'action.proposed': ActionProposed,
  'action.updated': ActionProposed,
  'approval.granted': Decided,
  'approval.denied': Decided,
  'action.approved': ActionApproved,
  'action.voided': ActionVoided,
  'action.cancelled': ActionEnded,
  'action.expired': ActionEnded,
  'action.started': Execution,
  'action.retried': Execution,
  'action.succeeded': Execution,
  'action.reconciled': Execution,
  'action.pending': Execution,
  'action.failed': Execution,
  'attempt.blocked': AttemptBlocked,
  'case.exported': CaseExported,
  'subject.erased': SubjectErased,
};

/** An event of a kind this console does not know yet: its kind and data, as text. */
export const UnknownEvent: Renderer = ({ event, data }: RendererProps) => (
  <>
    <p className="what">{event.kind}</p>
    <InertValue value={data} />
  </>
);

export const rendererFor = (kind: string): Renderer => (Object.hasOwn(RENDERERS, kind) ? RENDERERS[kind]! : UnknownEvent);
