import '../screens/admin/admin.css';
import { useChainStatus, useExportCase } from '../api/proof';
import { useCan } from '../api/session';
import { ErrorNotice } from './ErrorNotice';
import { Hash } from './Inert';

/**
 * A case's proof: whether its hash chain verifies (recomputed by the server on each visit), and,
 * for those who may export, the evidence bundle an auditor checks offline with `latch verify`.
 */
export function ProofPanel({ caseId }: { caseId: string }) {
  const chain = useChainStatus(caseId);
  const exporter = useExportCase(caseId);
  const canExport = useCan('case:export');

  return (
    <section className="panel proof" aria-labelledby="proof-title">
      <h2 id="proof-title">Proof</h2>
      <ErrorNotice error={chain.error} />
      {chain.isPending && <p className="muted">Checking the chain…</p>}
      {chain.data && (
        <div className={`chain chain-${chain.data.ok ? 'ok' : 'broken'}`} data-ok={String(chain.data.ok)}>
          <p>
            <strong>{chain.data.ok ? 'Chain verifies' : 'Chain is broken'}</strong>: {chain.data.events} event{chain.data.events === 1 ? '' : 's'} recomputed from the stored bytes.
          </p>
          {(chain.data.problems ?? []).map((problem) => (
            <p key={problem} className="problem">
              {problem}
            </p>
          ))}
          <p className="meta">
            Head: <Hash value={chain.data.head} label="Head hash of the case's chain" />
          </p>
        </div>
      )}
      {canExport && (
        <>
          <button type="button" onClick={() => exporter.mutate()} disabled={exporter.isPending}>
            Download evidence bundle
          </button>
          <p className="hint">Recorded on the timeline as an export. Check it offline with <code>latch verify bundle.zip --trust trust.txt</code>.</p>
          <ErrorNotice error={exporter.error} />
        </>
      )}
    </section>
  );
}
