import { ApiError } from '../api/client';
import { sentenceFor } from '../api/error-messages';

/** An error as a sentence (from its stable code), with the server's own words beneath when it sent some. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const detail = error instanceof ApiError && error.code !== 'NETWORK' ? error.message : undefined;
  return (
    <div className="notice error" role="alert">
      {title && <strong>{title} </strong>}
      <span>{sentenceFor(error)}</span>
      {detail && <p className="detail">{detail}</p>}
    </div>
  );
}
