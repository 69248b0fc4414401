import { existsSync, readFileSync } from 'node:fs';
import {
  checkCosignatureLines,
  formatAddCheckpoint,
  parseSignatureLines,
  parseWitnessPolicy,
  quorumMet,
  witnessNames,
  type PolicyWitness,
  type WitnessPolicy,
} from '@latch/core';
import { and, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import { logCheckpoints, logCosignatures } from '../db/schema.js';
import { describeError } from '../loggable-error.js';
import { consistencyProof, latestCheckpoint } from '../log/log-store.js';
import { StartupError } from '../startup-error.js';

type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

/** A witness's answer is awaited this long; a witness that takes longer is treated as down. */
const REQUEST_TIMEOUT_MS = 10_000;
const FIRST_RETRY_MS = 1000;

/** Reads LATCH_WITNESSES: a tlog-policy file whose witnesses all have a URL (their submission prefix). */
export function loadWitnessPolicy(file: string): WitnessPolicy {
  if (!existsSync(file)) throw new StartupError(`LATCH_WITNESSES ${file} does not exist`);
  let policy: WitnessPolicy;
  try {
    policy = parseWitnessPolicy(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StartupError(`LATCH_WITNESSES ${file}: ${(error as Error).message}`);
  }
  const unreachable = policy.witnesses.filter((w) => !w.url || !/^https?:\/\/[^\s]+$/.test(w.url));
  if (unreachable.length > 0) {
    throw new StartupError(`LATCH_WITNESSES ${file}: witness ${unreachable.map((w) => w.name).join(', ')} has no http(s) URL: Latch submits checkpoints to \`witness <name> <vkey> <url>\``);
  }
  if (policy.witnesses.length === 0) throw new StartupError(`LATCH_WITNESSES ${file} lists no witness`);
  return policy;
}

interface WitnessState {
  /** The size this witness last cosigned, as far as this process knows. */
  acked: number | undefined;
  failures: number;
  retryAt: number;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  again: boolean;
  /** The last attempt's outcome: a refusal will not change by waiting. */
  last: 'cosigned' | 'down' | 'refused' | undefined;
}

/** A checkpoint note with the cosignature lines appended, and who cosigned it. */
export interface CosignedCheckpoint {
  readonly size: number;
  readonly note: string;
  readonly witnesses: readonly string[];
}

/**
 * Submits each new checkpoint to the witnesses of the LATCH_WITNESSES policy (C2SP tlog-witness
 * add-checkpoint), with a consistency proof from the size each last cosigned, and keeps the
 * cosignatures in `log_cosignatures`. A witness that is down or refuses is retried with backoff;
 * nothing here ever holds up the sequencer: only the cosignatures lag.
 */
export class WitnessCosigner {
  private readonly states = new Map<string, WitnessState>();
  private stopped = false;
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly database: Database,
    readonly policy: WitnessPolicy,
    private readonly options: { log: Log; retryMaxMs: number; onCosigned?: (checkpoint: CosignedCheckpoint) => void },
  ) {
    for (const w of policy.witnesses) this.states.set(w.key.verifierKey, { acked: undefined, failures: 0, retryAt: 0, timer: undefined, running: undefined, again: false, last: undefined });
    // Checkpoints signed by another process (a CLI command, another server) are submitted on the next sweep.
    this.sweep = setInterval(() => this.kick(), 30_000);
    this.sweep.unref();
  }

  /** Submits the newest checkpoint to every witness not in backoff; returns at once. */
  kick(): void {
    for (const w of this.policy.witnesses) void this.run(w);
  }

  /** Submits to every witness not in backoff and waits for the answers. */
  async sync(): Promise<void> {
    await Promise.all(this.policy.witnesses.map((w) => this.run(w)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweep);
    for (const state of this.states.values()) clearTimeout(state.timer);
    await Promise.all([...this.states.values()].map((s) => s.running?.catch(() => undefined)));
  }

  private run(w: PolicyWitness): Promise<void> {
    const state = this.states.get(w.key.verifierKey)!;
    if (this.stopped) return Promise.resolve();
    if (state.running) {
      state.again = true;
      return state.running;
    }
    if (Date.now() < state.retryAt) return Promise.resolve();
    state.running = (async () => {
      do {
        state.again = false;
        try {
          await this.submit(w, state);
        } catch (error) {
          this.failed(w, state, 'down', `witness ${w.name}: ${describeError(error)}`);
        }
      } while (state.again && !this.stopped && Date.now() >= state.retryAt);
    })().finally(() => (state.running = undefined));
    return state.running;
  }

  private failed(w: PolicyWitness, state: WitnessState, kind: 'down' | 'refused', message: string): void {
    if (state.failures === 0 || state.last !== kind) this.options.log(kind === 'refused' ? 'error' : 'warn', `${message}; cosignatures lag until it answers (retrying with backoff)`);
    state.last = kind;
    state.failures += 1;
    const delay = Math.min(this.options.retryMaxMs, FIRST_RETRY_MS * 2 ** Math.min(state.failures - 1, 20));
    state.retryAt = Date.now() + delay;
    clearTimeout(state.timer);
    if (!this.stopped) {
      state.timer = setTimeout(() => void this.run(w), delay);
      state.timer.unref();
    }
  }

  private async ackedSize(w: PolicyWitness, state: WitnessState): Promise<number> {
    if (state.acked !== undefined) return state.acked;
    const [row] = await this.database.db
      .select({ size: sql<string | null>`max(${logCosignatures.size})` })
      .from(logCosignatures)
      .where(eq(logCosignatures.witnessKey, w.key.verifierKey));
    return row?.size == null ? 0 : Number(row.size);
  }

  /** One submission of the newest checkpoint, re-sent once per size a 409 names. */
  private async submit(w: PolicyWitness, state: WitnessState): Promise<void> {
    const db = this.database.db;
    const latest = await latestCheckpoint(db);
    if (!latest) return;
    let old = await this.ackedSize(w, state);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (old >= latest.size) {
        if (old > latest.size) return this.failed(w, state, 'refused', `witness ${w.name} has cosigned tree size ${old}, beyond this log's newest checkpoint (${latest.size}): this log was rolled back, or another log shares its key`);
        state.acked = old;
        return;
      }
      const proof = old === 0 ? [] : await consistencyProof(db, old, latest.size);
      const response = await post(`${w.url!.replace(/\/$/, '')}/add-checkpoint`, formatAddCheckpoint({ oldSize: old, proof, note: latest.note }));
      const text = await response.text();
      if (response.status === 409) {
        const known = /^(0|[1-9][0-9]*)\n$/.exec(text);
        if (!known || Number(known[1]) === old) {
          return this.failed(w, state, 'refused', `witness ${w.name} REFUSED checkpoint ${latest.size}: it holds a different tree of size ${known?.[1] ?? '?'} (a fork of this log)`);
        }
        old = Number(known[1]);
        continue;
      }
      if (response.status !== 200) {
        const kind = response.status >= 500 || response.status === 429 ? 'down' : 'refused';
        return this.failed(w, state, kind, `witness ${w.name} answered ${response.status} for checkpoint ${latest.size}: ${inert(text).slice(0, 300)}`);
      }
      const text0 = latest.note.slice(0, latest.note.lastIndexOf('\n\n') + 1);
      let lines;
      try {
        lines = checkCosignatureLines(text0, parseSignatureLines(text), [w.key]);
      } catch (error) {
        return this.failed(w, state, 'refused', `witness ${w.name} answered no readable signature lines: ${(error as Error).message}`);
      }
      const cosignature = lines.cosignatures[0];
      if (!cosignature) {
        const why = lines.problems.map((p) => p.problem).join('; ') || 'no line by its key';
        return this.failed(w, state, 'refused', `witness ${w.name} answered without a valid cosignature (${why})`);
      }
      await db
        .insert(logCosignatures)
        .values({ size: latest.size, witnessKey: w.key.verifierKey, line: cosignature.line, cosignedAt: new Date(cosignature.timestamp * 1000) })
        .onConflictDoNothing();
      if (state.failures > 0) this.options.log('info', `witness ${w.name} cosigns again (tree size ${latest.size})`);
      state.acked = latest.size;
      state.failures = 0;
      state.retryAt = 0;
      state.last = 'cosigned';
      const cosigned = await this.cosignedAt(latest.size);
      if (cosigned && this.options.onCosigned) this.options.onCosigned(cosigned);
      return;
    }
    this.failed(w, state, 'down', `witness ${w.name} kept answering 409 with other sizes`);
  }

  /** The checkpoint of `size` with every cosignature held, when they meet the quorum. */
  async cosignedAt(size: number): Promise<CosignedCheckpoint | undefined> {
    const [found] = await this.cosignedFrom(size, size);
    return found;
  }

  /** Cosigned checkpoints meeting the quorum with sizes in [from, to], newest first. */
  private async cosignedFrom(from: number, to?: number): Promise<CosignedCheckpoint[]> {
    const db = this.database.db;
    const keys = this.policy.witnesses.map((w) => w.key.verifierKey);
    const rows = await db
      .select({ size: logCosignatures.size, witnessKey: logCosignatures.witnessKey, line: logCosignatures.line })
      .from(logCosignatures)
      .where(and(gte(logCosignatures.size, from), to === undefined ? undefined : sql`${logCosignatures.size} <= ${to}`, inArray(logCosignatures.witnessKey, keys)))
      .orderBy(desc(logCosignatures.size), logCosignatures.witnessKey);
    const bySize = new Map<number, Array<{ witnessKey: string; line: string }>>();
    for (const row of rows) bySize.set(row.size, [...(bySize.get(row.size) ?? []), row]);
    const found: CosignedCheckpoint[] = [];
    for (const [size, lines] of bySize) {
      const names = witnessNames(this.policy, lines.map((l) => l.witnessKey));
      if (!quorumMet(this.policy, names)) continue;
      const [checkpoint] = await db.select({ note: logCheckpoints.note }).from(logCheckpoints).where(eq(logCheckpoints.size, size));
      if (!checkpoint) continue;
      found.push({ size, note: checkpoint.note + lines.map((l) => l.line).join(''), witnesses: [...names] });
    }
    return found;
  }

  /** The note of the checkpoint of `size` with whatever cosignatures it has (perhaps none). */
  async withCosignatures(size: number, note: string): Promise<string> {
    const rows = await this.database.db
      .select({ line: logCosignatures.line })
      .from(logCosignatures)
      .where(and(eq(logCosignatures.size, size), inArray(logCosignatures.witnessKey, this.policy.witnesses.map((w) => w.key.verifierKey))))
      .orderBy(logCosignatures.witnessKey);
    return note + rows.map((r) => r.line).join('');
  }

  /**
   * A checkpoint of at least `minSize` leaves cosigned by a quorum, submitting from this process
   * too (a CLI export has no server loop), for up to `timeoutMs`. Undefined when the witnesses do
   * not cosign in time (down) or refuse: the caller then uses the log's signature alone.
   */
  async awaitCosigned(minSize: number, timeoutMs: number): Promise<CosignedCheckpoint | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [newest] = await this.cosignedFrom(minSize);
      if (newest) return newest;
      const states = [...this.states.values()];
      if (this.stopped || Date.now() > deadline || states.every((s) => s.last === 'refused')) return undefined;
      await this.sync();
      const [after] = await this.cosignedFrom(minSize);
      if (after) return after;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Errors of a kept-alive connection the witness closed as it was reused: the request never reached it. */
const STALE_CONNECTION = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/** POSTs once, and once more at once when a reused connection turns out closed (the submission is idempotent). */
async function post(url: string, body: string): Promise<Response> {
  const send = () => fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  try {
    return await send();
  } catch (error) {
    const code = ((error as Error).cause as { code?: string } | undefined)?.code;
    if (code === undefined || !STALE_CONNECTION.has(code)) throw error;
    return send();
  }
}

// eslint-disable-next-line no-control-regex -- a witness's error text is shown in our log, inert
const inert = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
