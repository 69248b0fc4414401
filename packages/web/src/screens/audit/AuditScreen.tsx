import '../admin/admin.css';
import { useCheckpoint, useTrustFile, useVerifyLog } from '../../api/proof';
import { useCan } from '../../api/session';
import { ErrorNotice } from '../../components/ErrorNotice';

/**
 * The auditor's page: the newest signed checkpoint and the trust file (both as text, to copy and
 * keep outside Latch), and verification of the whole log on demand.
 */
export function AuditScreen() {
  const auditor = useCan('audit:verify');
  const checkpoint = useCheckpoint();
  const trust = useTrustFile(auditor);
  const verify = useVerifyLog();
  const report = verify.data;

  return (
    <div className="audit-page">
      <h1>Audit</h1>
      <section className="panel" aria-labelledby="checkpoint-title">
        <h2 id="checkpoint-title">Latest signed checkpoint</h2>
        <p className="hint">Origin, tree size and root hash, signed by the log&apos;s key. Keep a copy: a later log must still contain this one.</p>
        <ErrorNotice error={checkpoint.error} />
        {checkpoint.data && <pre className="json checkpoint">{checkpoint.data}</pre>}
      </section>
      {auditor && (
        <>
          <section className="panel" aria-labelledby="trust-title">
            <h2 id="trust-title">Trust file</h2>
            <p className="hint">
              The verifier keys and the tree sizes each is valid for. Pass it to <code>latch verify bundle.zip --trust trust.txt</code>.
            </p>
            <ErrorNotice error={trust.error} />
            {trust.data !== undefined && <pre className="json trust-file">{trust.data || '(no key has signed yet)'}</pre>}
          </section>
          <section className="panel" aria-labelledby="verify-title">
            <h2 id="verify-title">Verify the whole log</h2>
            <p className="hint">Recomputes the Merkle tree from every event&apos;s bytes and checks every stored node and checkpoint against the trust file above.</p>
            <button type="button" onClick={() => verify.mutate()} disabled={verify.isPending}>
              {verify.isPending ? 'Verifying…' : 'Verify now'}
            </button>
            <ErrorNotice error={verify.error} />
            {report && (
              <div className={`chain chain-${report.ok ? 'ok' : 'broken'}`} role="status" data-ok={String(report.ok)}>
                <p>
                  <strong>{report.ok ? 'The log verifies' : 'The log does not verify'}</strong>: {report.leaves} leaves, {report.checkpoints} checkpoints,{' '}
                  {report.pending} waiting to be logged.
                </p>
                {(report.problems ?? []).map((problem) => (
                  <p key={problem} className="problem">
                    {problem}
                  </p>
                ))}
                {(report.notices ?? []).map((notice) => (
                  <p key={notice} className="muted">
                    {notice}
                  </p>
                ))}
              </div>
            )}
          </section>
        </>
      )}
    </div>
  );
}
