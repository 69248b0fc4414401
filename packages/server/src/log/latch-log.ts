import { join } from 'node:path';
import type { LatchConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { latestCheckpoint, positionsOf, type StoredCheckpoint } from './log-store.js';
import { CheckpointPublisher } from './publish.js';
import { Sequencer } from './sequencer.js';
import { loadLogKeys, type LogKeys } from './signing-keys.js';
import { trustFileText } from './trust.js';
import { loadWitnessPolicy, WitnessCosigner } from '../witness/cosigner.js';
import { LatchError } from '@latch/core';

/** The global log as the rest of Latch sees it: its keys, its sequencer, and waiting on it. */
export interface LatchLog {
  readonly keys: LogKeys | undefined;
  readonly sequencer: Sequencer;
  readonly publisher: CheckpointPublisher;
  /** Submits checkpoints to the LATCH_WITNESSES witnesses and keeps their cosignatures (absent without a policy). */
  readonly witnesses: WitnessCosigner | undefined;
}

type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

export function openLog(database: Database, config: LatchConfig, mode: { embedded: boolean; inMemory: boolean }, log: Log): LatchLog {
  const keys = loadLogKeys(config, mode);
  const publishDir = config.logPublishDir ?? (mode.embedded && !mode.inMemory ? join(config.dataDir, 'log') : undefined);
  const publisher = new CheckpointPublisher({ dir: publishDir, webhookUrl: config.logWebhookUrl, log });
  const witnesses =
    keys && config.witnessesFile
      ? new WitnessCosigner(database, loadWitnessPolicy(config.witnessesFile), { log, retryMaxMs: config.witnessRetryMaxMs, onCosigned: (c) => publisher.publishCosigned(c.note) })
      : undefined;
  const sequencer = new Sequencer(database, keys, {
    intervalMs: config.logIntervalMs,
    databaseUrl: config.databaseUrl,
    log,
    onCheckpoint: async (made) => {
      const trust = made.keysChanged ? await trustFileText(database.db, keys?.keys.map((k) => k.verifierKey) ?? []) : undefined;
      publisher.publish(made.note, trust);
      witnesses?.kick();
    },
  });
  return { keys, sequencer, publisher, witnesses };
}

/** How the log introduces itself at startup. */
export function describeLog(log: LatchLog): string {
  if (!log.keys) return 'log: no signing key (LATCH_LOG_KEY_FILE): events are logged but no checkpoint is signed';
  const names = log.keys.keys.map((k) => k.verifierKey).join(', ');
  const anchor = log.keys.selfAnchored
    ? `self-anchored: the key was generated in ${log.keys.source}; give auditors \`latch log key\` and publish checkpoints outside this machine`
    : `key from ${log.keys.source}`;
  const policy = log.witnesses?.policy;
  const witnessed = policy ? `; witnesses ${policy.witnesses.map((w) => w.name).join(', ')} cosign them (quorum ${policy.quorum})` : '';
  return `log: signing checkpoints of ${log.keys.origin} with ${names} (${anchor})${witnessed}`;
}

/**
 * Waits until an event is in the tree and under a signed checkpoint, integrating pending events
 * itself if need be (batches are serialised by the database, so this is safe beside a leader).
 */
export async function awaitCheckpoint(db: Database, log: LatchLog, eventId: string, timeoutMs = 10_000): Promise<{ position: number; checkpoint: StoredCheckpoint }> {
  if (!log.keys) throw new LatchError('LOG_NOT_SIGNING', 'The log has no signing key configured, so there is no checkpoint to prove against');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await log.sequencer.drain();
    const position = (await positionsOf(db.db, [eventId])).get(eventId);
    const checkpoint = await latestCheckpoint(db.db);
    if (position !== undefined && checkpoint && checkpoint.size > position) return { position, checkpoint };
    if (Date.now() > deadline) throw new LatchError('LOG_BEHIND', 'The event is not in a signed checkpoint yet; try again shortly');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
