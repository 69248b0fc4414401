/**
 * The auditor's witness check (`latch verify --witness <file> --min-witnesses N`): does a
 * checkpoint carry enough valid cosignatures from the witnesses the auditor trusts?
 *
 * The witness file is either a list of witness vkeys, one per line (optionally written as tlog-policy
 * `witness <name> <vkey> [<url>]` lines), or a whole tlog-policy file, whose quorum then applies
 * unless a number of witnesses is asked for.
 */
import { NoteError } from '../proof/signed-note.js';
import { parseWitnessKey, verifyCosignatures, type Cosignature } from './cosignature.js';
import { WitnessPolicyError, parseWitnessPolicy, quorumMet, witnessNames, type PolicyWitness, type WitnessPolicy } from './policy.js';

export interface WitnessList {
  witnesses: PolicyWitness[];
  /** Present when the file was a tlog-policy file with its own quorum. */
  policy?: WitnessPolicy;
}

/** Parses a witness file; throws WitnessPolicyError naming the line at fault. */
export function parseWitnessList(text: string): WitnessList {
  const lines = text.split('\n').map((l) => l.trim());
  const keywords = lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(/[ \t]+/)[0]);
  if (keywords.some((k) => k === 'quorum' || k === 'group' || k === 'log')) {
    const policy = parseWitnessPolicy(text);
    if (policy.witnesses.length === 0) throw new WitnessPolicyError('lists no witnesses');
    return { witnesses: policy.witnesses, policy };
  }
  const witnesses: PolicyWitness[] = [];
  const seen = new Map<string, number>();
  lines.forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    const words = line.split(/[ \t]+/);
    const vkey = words[0] === 'witness' ? words[2] : words[0];
    if (vkey === undefined || (words[0] === 'witness' ? words.length > 4 : words.length > 1)) {
      throw new WitnessPolicyError('want a witness vkey, or: witness <name> <vkey> [<url>]', i + 1);
    }
    let key;
    try {
      key = parseWitnessKey(vkey);
    } catch (e) {
      throw new WitnessPolicyError((e as Error).message, i + 1);
    }
    const raw = key.rawKey.toString('hex');
    const first = seen.get(raw);
    if (first !== undefined) throw new WitnessPolicyError(`the same witness key as line ${first}: duplicates are not allowed`, i + 1);
    seen.set(raw, i + 1);
    witnesses.push({ name: words[0] === 'witness' ? words[1]! : key.name, key });
  });
  if (witnesses.length === 0) throw new WitnessPolicyError('lists no witnesses');
  return { witnesses };
}

export interface WitnessCheck {
  ok: boolean;
  /** What was required, in words. */
  required: string;
  /** The witnesses whose cosignatures verified. */
  cosignedBy: Array<{ name: string; verifierKey: string; time: string }>;
  problems: string[];
}

/**
 * Checks the cosignatures on a checkpoint note against the listed witnesses: at least
 * `minWitnesses` distinct witnesses (or, without it, the policy's quorum, else one witness).
 * A listed witness's cosignature that does not verify is always a problem.
 */
export function checkWitnesses(note: string, list: WitnessList, options: { minWitnesses?: number; now?: number } = {}): WitnessCheck {
  const problems: string[] = [];
  let cosignatures: Cosignature[] = [];
  try {
    const checked = verifyCosignatures(note, list.witnesses.map((w) => w.key), options.now === undefined ? {} : { now: options.now });
    cosignatures = checked.cosignatures;
    problems.push(...checked.problems.map((p) => p.problem));
  } catch (e) {
    problems.push(e instanceof NoteError ? e.message : String(e));
  }
  const byKey = new Map(list.witnesses.map((w) => [w.key.verifierKey, w.name]));
  const cosignedBy = cosignatures.map((c) => ({ name: byKey.get(c.verifierKey) ?? c.name, verifierKey: c.verifierKey, time: new Date(c.timestamp * 1000).toISOString() }));
  let required: string;
  let met: boolean;
  if (options.minWitnesses !== undefined || list.policy === undefined) {
    const n = options.minWitnesses ?? 1;
    required = `${n} of the ${list.witnesses.length} listed witness(es)`;
    met = cosignatures.length >= n;
  } else {
    required = `the policy's quorum (${list.policy.quorum})`;
    met = quorumMet(list.policy, witnessNames(list.policy, cosignatures.map((c) => c.verifierKey)));
  }
  if (!met) problems.push(`the checkpoint is cosigned by ${cosignatures.length} listed witness(es); ${required} must cosign it`);
  return { ok: problems.length === 0, required, cosignedBy, problems };
}
