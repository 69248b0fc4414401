import { attachmentUrl, useAttachments, useUpload } from '../../api/cases';
import { useCan } from '../../api/session';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Hash, When } from '../../components/Inert';

/** Files on the case with their SHA-256 (what the timeline recorded), a download link and an upload. */
export function AttachmentsPanel({ caseId }: { caseId: string }) {
  const attachments = useAttachments(caseId);
  const upload = useUpload(caseId);
  const canAttach = useCan('case:attach');

  return (
    <section className="panel" aria-labelledby="attachments-title">
      <h2 id="attachments-title">Attachments</h2>
      <ErrorNotice error={attachments.error} />
      <ul className="attachments">
        {(attachments.data?.items ?? []).map((file) => (
          <li key={file.id}>
            <a href={attachmentUrl(caseId, file.id!)} download>
              {file.filename}
            </a>{' '}
            <span className="muted">
              {file.contentType}, {file.size} bytes, <When at={file.createdAt} />
            </span>
            <p className="small">
              SHA-256 <Hash value={file.sha256} />
            </p>
          </li>
        ))}
        {attachments.data?.items?.length === 0 && <li className="muted">No attachments.</li>}
      </ul>
      {canAttach && (
        <div className="form-row">
          <label htmlFor="upload">Attach a file</label>
          <input
            id="upload"
            type="file"
            disabled={upload.isPending}
            onChange={(event) => {
              const file = event.target.files?.[0];
              if (file) upload.mutate(file, { onSettled: () => (event.target.value = '') });
            }}
          />
          <ErrorNotice error={upload.error} />
        </div>
      )}
    </section>
  );
}
