/**
 * C2SP tlog-policy files (https://c2sp.org/tlog-policy): which logs, which witnesses, and the
 * quorum of witnesses that must cosign a checkpoint.
 *
 *   log <vkey> [<url>]
 *   witness <name> <vkey> [<url>]
 *   group <name> all|any|<k> <name>...
 *   quorum <name>|none
 *
 * Whitespace is ASCII space and tab only; `#` starts a comment line. Groups and the quorum refer
 * only to names defined on earlier lines; each name is a member of a group at most once.
 */
import { parseVerifierKey, type ParsedVerifierKey } from '../proof/signed-note.js';
import { parseWitnessKey, type WitnessKey } from './cosignature.js';

export interface PolicyWitness {
  name: string;
  key: WitnessKey;
  url?: string;
}

export interface PolicyGroup {
  name: string;
  threshold: number;
  members: string[];
}

export interface WitnessPolicy {
  logs: Array<{ key: ParsedVerifierKey & { verifierKey: string }; url?: string }>;
  witnesses: PolicyWitness[];
  groups: PolicyGroup[];
  /** The name of a witness or group, or 'none'. */
  quorum: string;
}

/** A policy line is malformed; `line` is 1-based. */
export class WitnessPolicyError extends Error {
  readonly line: number | undefined;
  constructor(message: string, line?: number) {
    super(line === undefined ? `policy: ${message}` : `policy, line ${line}: ${message}`);
    this.name = 'WitnessPolicyError';
    this.line = line;
  }
}

/** Limits well above the spec's recommended minimum of 32 each. */
const MAX_ENTRIES = 256;

export function parseWitnessPolicy(text: string): WitnessPolicy {
  // eslint-disable-next-line no-control-regex
  const bad = /[\u0000-\u0008\u000b-\u001f\u007f]/.exec(text);
  if (bad) throw new WitnessPolicyError(`control character 0x${bad[0].charCodeAt(0).toString(16).padStart(2, '0')} (only tab and newline are allowed)`, text.slice(0, bad.index).split('\n').length);
  const policy: WitnessPolicy = { logs: [], witnesses: [], groups: [], quorum: '' };
  const names = new Set<string>(['none']);
  const rawKeys = new Map<string, number>();
  let quorumLine: number | undefined;
  text.split('\n').forEach((raw, i) => {
    const lineNo = i + 1;
    const words = raw.split(/[ \t]+/).filter((w) => w !== '');
    if (words.length === 0 || words[0]!.startsWith('#')) return;
    const fail = (message: string): never => {
      throw new WitnessPolicyError(message, lineNo);
    };
    const uniqueKey = (raw: Buffer, what: string) => {
      const id = raw.toString('hex');
      const first = rawKeys.get(id);
      if (first !== undefined) fail(`${what} has the same public key as line ${first}: duplicates are not allowed`);
      rawKeys.set(id, lineNo);
    };
    const [keyword, ...args] = words;
    switch (keyword) {
      case 'log': {
        if (args.length < 1 || args.length > 2) fail('want: log <vkey> [<url>]');
        let key: ParsedVerifierKey;
        try {
          key = parseVerifierKey(args[0]!);
        } catch (e) {
          return fail((e as Error).message);
        }
        uniqueKey(key.rawKey, 'this log');
        policy.logs.push({ key: { ...key, verifierKey: args[0]! }, ...(args[1] ? { url: args[1] } : {}) });
        break;
      }
      case 'witness': {
        if (args.length < 2 || args.length > 3) fail('want: witness <name> <vkey> [<url>]');
        const [name, vkey, url] = args as [string, string, string | undefined];
        if (names.has(name)) fail(`the name ${name} is already defined`);
        let key: WitnessKey;
        try {
          key = parseWitnessKey(vkey);
        } catch (e) {
          return fail((e as Error).message);
        }
        uniqueKey(key.rawKey, `witness ${name}`);
        names.add(name);
        policy.witnesses.push({ name, key, ...(url ? { url } : {}) });
        break;
      }
      case 'group': {
        if (args.length < 3) fail('want: group <name> all|any|<k> <member>...');
        const [name, rule, ...members] = args as [string, string, ...string[]];
        if (names.has(name)) fail(`the name ${name} is already defined`);
        const seen = new Set<string>();
        for (const member of members) {
          if (member === 'none') fail('none cannot be a group member');
          if (!names.has(member)) fail(`${member} is not defined on an earlier line`);
          if (seen.has(member)) fail(`${member} is listed twice`);
          seen.add(member);
        }
        let threshold: number;
        if (rule === 'all') threshold = members.length;
        else if (rule === 'any') threshold = 1;
        else if (/^[1-9][0-9]*$/.test(rule) && Number(rule) <= members.length) threshold = Number(rule);
        else return fail(`threshold ${JSON.stringify(rule)} must be all, any, or a number from 1 to ${members.length}`);
        names.add(name);
        policy.groups.push({ name, threshold, members });
        break;
      }
      case 'quorum': {
        if (args.length !== 1) fail('want: quorum <name>');
        if (quorumLine !== undefined) fail(`a second quorum line (the first is line ${quorumLine})`);
        if (!names.has(args[0]!)) fail(`${args[0]} is not defined on an earlier line`);
        quorumLine = lineNo;
        policy.quorum = args[0]!;
        break;
      }
      default:
        fail(`unknown keyword ${JSON.stringify(keyword)}: want log, witness, group or quorum`);
    }
    if (policy.logs.length > MAX_ENTRIES || policy.witnesses.length > MAX_ENTRIES || policy.groups.length > MAX_ENTRIES) fail(`more than ${MAX_ENTRIES} entries of one kind`);
  });
  if (quorumLine === undefined) throw new WitnessPolicyError('no quorum line (write `quorum none` to require no cosignatures)');
  return policy;
}

/** True when the witnesses named in `cosigned` (policy names) satisfy the policy's quorum. */
export function quorumMet(policy: WitnessPolicy, cosigned: ReadonlySet<string>): boolean {
  if (policy.quorum === 'none') return true;
  const groups = new Map(policy.groups.map((g) => [g.name, g]));
  const memo = new Map<string, boolean>();
  const witnessed = (name: string): boolean => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const group = groups.get(name);
    const result = group === undefined ? cosigned.has(name) : group.members.filter(witnessed).length >= group.threshold;
    memo.set(name, result);
    return result;
  };
  return witnessed(policy.quorum);
}

/** The policy names of the witnesses whose keys are among `verifierKeys`. */
export function witnessNames(policy: WitnessPolicy, verifierKeys: Iterable<string>): Set<string> {
  const byKey = new Map(policy.witnesses.map((w) => [w.key.verifierKey, w.name]));
  const names = new Set<string>();
  for (const key of verifierKeys) {
    const name = byKey.get(key);
    if (name !== undefined) names.add(name);
  }
  return names;
}
