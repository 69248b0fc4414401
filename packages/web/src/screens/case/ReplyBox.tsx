import { useState } from 'react';
import { useSendReply } from '../../api/intake';
import { ErrorNotice } from '../../components/ErrorNotice';

/** A reply to the requester by email: on the timeline at once, sent from the job queue. */
export function ReplyBox({ caseId, to }: { caseId: string; to: string | undefined }) {
  const send = useSendReply(caseId);
  const [body, setBody] = useState('');
  // One key per reply written: a second click or a retry after a lost answer sends it once.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [sent, setSent] = useState(false);

  return (
    <form
      className="reply-box"
      onSubmit={(event) => {
        event.preventDefault();
        if (!body.trim()) return;
        send.mutate(
          { body, key },
          {
            onSuccess: () => {
              setBody('');
              setKey(crypto.randomUUID());
              setSent(true);
            },
          },
        );
      }}
    >
      <label htmlFor="reply-body">Reply to the requester{to ? ` (${to})` : ''}</label>
      <textarea
        id="reply-body"
        rows={4}
        maxLength={20_000}
        value={body}
        onChange={(e) => {
          setBody(e.target.value);
          setSent(false);
        }}
      />
      <ErrorNotice error={send.error} />
      {sent && (
        <p className="notice ok" role="status">
          Reply queued: it is on the timeline and will be sent by email.
        </p>
      )}
      <button type="submit" className="primary" disabled={send.isPending || !body.trim()}>
        Send reply
      </button>
    </form>
  );
}
