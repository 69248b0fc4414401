import { Link } from 'react-router';
import { attachmentUrl, useAttachments } from '../../api/cases';
import { useCaseIntake } from '../../api/intake';
import { useCan } from '../../api/session';
import type { CaseDetail } from '../../api/types';
import { Badge } from '../../components/Badge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { When } from '../../components/Inert';
import { ReplyBox } from './ReplyBox';
import './original-message.css';

const SHOWN = ['from', 'to', 'date', 'subject'] as const;
const LABELS: Record<(typeof SHOWN)[number], string> = { from: 'From', to: 'To', date: 'Date', subject: 'Subject' };

/**
 * The messages a case came from (and the replies sent from it), for cases opened by intake. Every
 * header and body is shown as text, never as HTML: whatever a sender wrote stays inert.
 */
export function OriginalMessage({ detail }: { detail: CaseDetail }) {
  const caseId = detail.id!;
  const intake = useCaseIntake(caseId);
  const attachments = useAttachments(caseId);
  const canReply = useCan('case:update');
  const messages = intake.data?.items ?? [];
  if (intake.error) return <ErrorNotice error={intake.error} />;
  if (messages.length === 0) return null;
  const files = attachments.data?.items ?? [];
  const byEmail = messages.some((m) => m.channel === 'email');

  return (
    <section className="panel original-message" aria-labelledby="original-message-title">
      <h2 id="original-message-title">{messages.length > 1 ? `Original message and follow-ups (${messages.length})` : 'Original message'}</h2>
      {messages.map((message, index) => {
        const headers = new Map(message.headers.map((h) => [h.name, h.value]));
        return (
          <article key={message.id} className={`mail ${message.direction === 'out' ? 'mail-out' : ''}`} aria-label={index === 0 ? 'Original message' : message.direction === 'out' ? 'Reply sent' : 'Follow-up'}>
            <p className="mail-meta">
              <Badge tone={message.direction === 'out' ? 'ok' : 'quiet'}>{message.direction === 'out' ? 'Reply sent' : index === 0 ? 'Received' : 'Follow-up'}</Badge> by {message.channel}, <When at={message.createdAt} />
            </p>
            {message.possibleForgery && (
              <div className="notice error" role="note">
                <strong>Possible forgery.</strong> This message answered <Link to={`/cases/${message.possibleForgery}`}>another case</Link> but came from someone other than that case’s requester, so it opened
                this separate case instead of joining that one. Check the sender before acting on it or sharing anything from the other case.
              </div>
            )}
            {message.erased ? (
              <p className="muted">The message was erased at its sender’s request; its hash still proves the record.</p>
            ) : (
              <>
                {message.headers.length > 0 && (
                  <dl className="mail-headers">
                    {SHOWN.filter((name) => headers.has(name)).map((name) => (
                      <div key={name}>
                        <dt>{LABELS[name]}</dt>
                        <dd>{headers.get(name)}</dd>
                      </div>
                    ))}
                  </dl>
                )}
                {message.htmlOnly && <p className="small muted">Sent as HTML only: shown as its text; the HTML is kept in the stored original.</p>}
                <pre className="mail-body">{message.text || '(no text)'}</pre>
                {message.attachments.length > 0 && (
                  <ul className="mail-attachments" aria-label="Attachments of this message">
                    {message.attachments.map((a, i) => {
                      const stored = files.find((f) => f.filename === a.filename && f.size === a.size);
                      return (
                        <li key={i}>
                          {stored ? (
                            <a href={attachmentUrl(caseId, stored.id!)} download>
                              {a.filename}
                            </a>
                          ) : (
                            <span>{a.filename}</span>
                          )}{' '}
                          <span className="muted">
                            {a.contentType}, {a.size} bytes
                          </span>
                        </li>
                      );
                    })}
                  </ul>
                )}
              </>
            )}
          </article>
        );
      })}
      {byEmail && canReply && <ReplyBox caseId={caseId} to={detail.requester?.email ?? undefined} />}
    </section>
  );
}
