import { Hash, InertValue } from '../Inert';
import { ExchangeDisclosure } from './ExchangeDisclosure';
import type { Renderer, RendererProps } from './types';

const text = (value: unknown) => (typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value));
/** Case attributes as people call them; typed fields are shown by their key. */
const FIELD_NAMES: Record<string, string> = { assigneeId: 'assignee', queue: 'queue', priority: 'priority', title: 'title', description: 'description' };
const fieldName = (field: unknown) => FIELD_NAMES[text(field)] ?? text(field).replace(/^fields\./, '');

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

/** Nothing to add to the summary line. */
const NoDetails: Renderer = () => null;

const CaseCreated: Renderer = ({ data }) => (
  <Details rows={[['Title', data.title], ['Type', `${text(data.type)} v${text(data.typeVersion)}`], ['Priority', data.priority], ['Fields', data.fields]]} />
);

const FieldChanged: Renderer = ({ data, nameOf }) => {
  const changes = Array.isArray(data.changes) ? (data.changes as { field?: string; old?: unknown; new?: unknown }[]) : [];
  const show = (field: string | undefined, value: unknown) => (field === 'assigneeId' && typeof value === 'string' ? nameOf(value) : value);
  return (
    <>
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

const NoteAdded: Renderer = ({ data }) => (
  <blockquote className="note-body">
    <InertValue value={data.body} />
  </blockquote>
);

const AttachmentAdded: Renderer = ({ data }) => (
  <>
    <Details rows={[['File', data.filename]]} />
    <p className="small">
      SHA-256 <Hash value={text(data.sha256)} />
    </p>
  </>
);

const ActionProposed: Renderer = ({ data }) => (
  <>
    <Details rows={[['Payload', data.input], ['Needs', data.summary], ['Policy error', data.policyError]]} />
    <p className="small">
      Payload hash <Hash value={text(data.payloadHash)} />
    </p>
  </>
);

const Decided: Renderer = ({ data }) => (
  <>
    <Details rows={[['Reason', data.reason]]} />
    <p className="small">
      Payload hash <Hash value={text(data.payloadHash)} />
    </p>
  </>
);

const ActionVoided: Renderer = ({ data }) => (
  <p className="small">
    Previous payload hash <Hash value={text(data.previousPayloadHash)} />
  </p>
);

const blobHash = (value: unknown) => (typeof value === 'string' && /^[0-9a-f]{64}$/.test(value) ? value : null);

const Execution: Renderer = ({ data, caseId }) => (
  <>
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

const AttemptBlocked: Renderer = ({ data }) => {
  const details = data.details as Record<string, unknown> | undefined;
  return (
    <Details
      rows={[
        ['Why', data.message],
        ['Decision', details?.decision],
        ['Action', data.actionId],
        ['What was sent', details && details.decision === undefined ? details : undefined],
      ]}
    />
  );
};

const SubjectErased: Renderer = ({ event }) => <Details rows={[['Reason', event.reason]]} />;

const CaseEscalated: Renderer = ({ data }) => <Details rows={[['Rule', data.rule], ['Actions', data.actions]]} />;

/** What came in and where its exact bytes are kept (the message itself is in the Original message panel). */
const IntakeReceived: Renderer = ({ data }) => (
  <Details rows={[['Channel', data.channel], ['Source', data.source], ['Rules', Array.isArray(data.routing) && data.routing.length > 0 ? data.routing : undefined], ['Raw SHA-256', data.rawSha256]]} />
);

const ContextAttached: Renderer = ({ data }) => <Details rows={[['Plugin', data.plugin], ['SHA-256', data.sha256]]} />;

/** "type refund · queue refunds · priority high": what a triage names. */
const triage = (value: unknown) => {
  const v = (value ?? {}) as Record<string, unknown>;
  return [['type', v.caseType], ['queue', v.queue], ['priority', v.priority]].filter(([, x]) => typeof x === 'string').map(([name, x]) => `${name} ${x as string}`).join(' · ') || undefined;
};

// Triage (intelligence/): who suggested what, from which input (by hash), and what the operator chose.
const IntelligenceSuggested: Renderer = ({ data }) => {
  const model = (data.model ?? {}) as { id?: string; version?: string };
  const fallback = data.fallbackFrom as { provider?: string; reason?: string } | undefined;
  const explanation = Array.isArray(data.explanation) ? (data.explanation as { feature?: string }[]).map((e) => text(e.feature)).join(', ') : data.explanation;
  return (
    <Details
      rows={[
        ['Suggested', triage(data.output) ?? 'nothing'],
        ['Provider', `${text(data.provider)} (${text(model.id)} ${text(model.version)})`],
        ['Confidence', typeof data.confidencePermille === 'number' ? `${Math.round(data.confidencePermille / 10)}%` : undefined],
        ['Weighed most', explanation],
        ['Instead of', fallback ? `${text(fallback.provider)} (${text(fallback.reason)})` : undefined],
        ['Personal data sent', data.personalDataSent === true ? 'yes' : 'no'],
        ['Input SHA-256', data.inputSha256],
      ]}
    />
  );
};
const TriageDecided: Renderer = ({ data }) => <Details rows={[['Suggested', triage(data.suggested) ?? 'nothing'], ['Chosen', triage(data.chosen)]]} />;
const TypeChanged: Renderer = ({ data }) => {
  const from = (data.from ?? {}) as { type?: string; version?: number };
  const to = (data.to ?? {}) as { type?: string; version?: number };
  return <Details rows={[['From', `${text(from.type)} v${text(from.version)}`], ['To', `${text(to.type)} v${text(to.version)}`], ['Status', data.status], ['Fields', data.fields]]} />;
};

/**
 * Every event kind has one renderer, here: the details below the server's summary line (the
 * payload, the note, the changes, the recorded exchange). A kind missing from this table still
 * shows: the fallback prints its data as text.
 */
export const RENDERERS: Readonly<Record<string, Renderer>> = {
  'case.created': CaseCreated,
  'field.changed': FieldChanged,
  'status.changed': NoDetails,
  'note.added': NoteAdded,
  'attachment.added': AttachmentAdded,
  'link.added': NoDetails,
  'link.removed': NoDetails,
  // Alerts (intake/alerts): the server's line says which alert, from where, and when.
  'alert.fired': NoDetails,
  'alert.resolved': NoDetails,
  'action.proposed': ActionProposed,
  'action.updated': ActionProposed,
  'approval.granted': Decided,
  'approval.denied': Decided,
  'action.approved': NoDetails,
  'action.voided': ActionVoided,
  'action.cancelled': NoDetails,
  'action.expired': NoDetails,
  'action.started': Execution,
  'action.retried': Execution,
  'action.succeeded': Execution,
  'action.reconciled': Execution,
  'action.pending': Execution,
  'action.failed': Execution,
  'attempt.blocked': AttemptBlocked,
  'case.exported': NoDetails,
  'subject.erased': SubjectErased,
  'case.escalated': CaseEscalated,
  // The case type's checklist (checklist/): the note says what was checked.
  'case.checklist_ticked': ({ data }) => <Details rows={[['Item', data.item], ['Note', data.note]]} />,
  // A time-bounded grant's end (scheduled-revoke/): when, and which action will undo it.
  'access.revoke_scheduled': ({ data }) => <Details rows={[['Revokes at', data.revokeAt], ['Revoke action', data.revokeActionId], ['Grant', data.grantActionId]]} />,
  // Intake and context: the server's line tells the story; details name what is kept by hash.
  'intake.received': IntakeReceived,
  'case.reply_sent': NoDetails,
  // A send that failed at the relay: its stable reason code (never the relay's text) and whether it is tried again.
  'case.reply_failed': ({ data }) => <Details rows={[['Reason', data.reason], ['Reply', data.replyId], ['Attempt', data.attempt]]} />,
  'case.context_attached': ContextAttached,
  'case.context_requested': NoDetails,
  'case.context_unavailable': NoDetails,
  'intelligence.suggested': IntelligenceSuggested,
  'intelligence.accepted': TriageDecided,
  'intelligence.overridden': TriageDecided,
  'case.type_changed': TypeChanged,
};

/** An event of a kind this console does not know yet: its data, as text. */
export const UnknownEvent: Renderer = ({ data }: RendererProps) => <InertValue value={data} />;

export const rendererFor = (kind: string): Renderer => (Object.hasOwn(RENDERERS, kind) ? RENDERERS[kind]! : UnknownEvent);
