import type { LatchLog } from '../log/latch-log.js';
import type { StoredCheckpoint } from '../log/log-store.js';

/** How long an export waits for witnesses to cosign a checkpoint covering it before going without. */
const COSIGN_WAIT_MS = 5000;

/**
 * The checkpoint an evidence bundle carries: with witnesses configured, the newest checkpoint
 * covering `signed` that a quorum cosigned, its note ending in their cosignature lines; when they do
 * not cosign in time (down, or refusing), the log-signed checkpoint with whatever cosignatures it has.
 */
export async function cosignedCheckpointFor(log: LatchLog, signed: StoredCheckpoint, timeoutMs = COSIGN_WAIT_MS): Promise<{ size: number; note: string }> {
  const witnesses = log.witnesses;
  if (!witnesses) return signed;
  const cosigned = witnesses.policy.quorum === 'none' ? undefined : await witnesses.awaitCosigned(signed.size, Math.min(timeoutMs, COSIGN_WAIT_MS));
  return cosigned ?? { size: signed.size, note: await witnesses.withCosignatures(signed.size, signed.note) };
}
