import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatCheckpoint } from '../proof/checkpoint.js';
import { generateSignerKey, parseSignerKey, parseTrustFile } from '../proof/log-keys.js';
import { consistencyProof, leafHash, rootOf } from '../proof/merkle.js';
import { openNote, signNote } from '../proof/signed-note.js';
import { decideAddCheckpoint, formatAddCheckpoint, parseAddCheckpoint, type RecordedCheckpoint } from './add-checkpoint.js';
import {
  cosignCheckpoint,
  cosignatureKeyId,
  cosignatureMessage,
  generateWitnessKey,
  parseSignatureLines,
  parseWitnessKey,
  parseWitnessSigner,
  verifyCosignatures,
} from './cosignature.js';
import { parseWitnessPolicy, quorumMet } from './policy.js';
import { checkWitnesses, parseWitnessList } from './witness-check.js';

const leaves = (n: number, salt = '') => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`${salt}${i}`)));
const log = parseSignerKey(generateSignerKey('log.example/latch'));
const checkpointNote = (size: number, salt = '') => signNote(formatCheckpoint({ origin: log.name, size, root: rootOf(leaves(size, salt)) }), log.name, log.privateKey);
const noteText = (note: string) => note.slice(0, note.lastIndexOf('\n\n') + 1);

describe('cosignature/v1', () => {
  // The example in c2sp.org/tlog-cosignature: its cosignature line carries the timestamp the spec's
  // example message shows (time 1679315147), after a 4-byte key ID, and an Ed25519 signature.
  it('reads the spec example line: key ID, big-endian timestamp, 64-byte signature', () => {
    const [line] = parseSignatureLines('— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n');
    expect(line!.name).toBe('witness.example.com/w1');
    expect(line!.blob).toHaveLength(76);
    expect(line!.blob.readBigUInt64BE(4)).toBe(1679315147n);
    expect(line!.keyId).toBe(0x8d66cf3f);
  });

  it('signs the message the spec shows, byte for byte', () => {
    const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    expect(cosignatureMessage(body, 1679315147).toString('utf8')).toBe(`cosignature/v1\ntime 1679315147\n${body}`);
  });

  it('computes the key ID over name, newline, 0x04 and the key', () => {
    const signer = parseWitnessSigner(generateWitnessKey('witness.example/w1'));
    const expected = createHash('sha256').update('witness.example/w1\n').update(Uint8Array.of(4)).update(signer.rawKey).digest().readUInt32BE(0);
    expect(cosignatureKeyId('witness.example/w1', signer.rawKey)).toBe(expected);
    expect(signer.verifierKey).toBe(`witness.example/w1+${expected.toString(16).padStart(8, '0')}+${Buffer.concat([Uint8Array.of(4), signer.rawKey]).toString('base64')}`);
    expect(parseWitnessKey(signer.verifierKey).keyId).toBe(expected);
  });

  it('cosigns a checkpoint; the log signature check ignores the cosignature and the cosignature check ignores the log', () => {
    const signer = parseWitnessSigner(generateWitnessKey('witness.example/w1'));
    const note = checkpointNote(5);
    const cosigned = note + cosignCheckpoint(noteText(note), signer, 1_700_000_000);
    const trust = parseTrustFile(log.verifierKey);
    expect(openNote(cosigned, trust).verifiedBy).toEqual([log.name]);
    const { cosignatures, problems } = verifyCosignatures(cosigned, [parseWitnessKey(signer.verifierKey)]);
    expect(problems).toEqual([]);
    expect(cosignatures).toMatchObject([{ name: 'witness.example/w1', timestamp: 1_700_000_000 }]);
  });

  it('refuses a cosignature over another checkpoint, a changed timestamp, and one dated in the future', () => {
    const signer = parseWitnessSigner(generateWitnessKey('w'));
    const key = parseWitnessKey(signer.verifierKey);
    const other = cosignCheckpoint(noteText(checkpointNote(6)), signer, 1_700_000_000);
    expect(verifyCosignatures(checkpointNote(5) + other, [key]).problems[0]!.problem).toMatch(/does not verify/);
    const line = cosignCheckpoint(noteText(checkpointNote(5)), signer, 1_700_000_000);
    const blob = Buffer.from(line.split(' ')[2]!.trim(), 'base64');
    blob.writeBigUInt64BE(1_700_000_001n, 4);
    expect(verifyCosignatures(`${checkpointNote(5)}— w ${blob.toString('base64')}\n`, [key]).problems[0]!.problem).toMatch(/does not verify/);
    const future = cosignCheckpoint(noteText(checkpointNote(5)), signer, 2_000_000_000);
    expect(verifyCosignatures(checkpointNote(5) + future, [key], { now: 1_700_000_000 }).problems[0]!.problem).toMatch(/future/);
  });

  it('refuses vkeys of the wrong signature type and signing keys whose ID does not match', () => {
    expect(() => parseWitnessKey(log.verifierKey)).toThrow(/type 0x01; a cosignature\/v1 Ed25519 key has type 0x04/);
    const key = generateWitnessKey('w');
    expect(() => parseWitnessSigner(key.replace('+w+', '+v+'))).toThrow(/does not match/);
  });
});

describe('tlog-policy', () => {
  const keys = Array.from({ length: 6 }, (_, i) => parseWitnessSigner(generateWitnessKey(`w${i}.example`)).verifierKey);

  it('parses the spec example shape and evaluates nested groups', () => {
    const policy = parseWitnessPolicy(
      [
        `log ${log.verifierKey} https://log.example`,
        '',
        ...keys.slice(0, 3).map((k, i) => `witness X${i + 1} ${k}`),
        'group X-witnesses 2 X1 X2 X3',
        '# comment',
        ...keys.slice(3).map((k, i) => `\twitness Y${i + 1}  ${k} https://y${i + 1}.example/`),
        'group Y-witnesses any Y1 Y2 Y3',
        'group X-and-Y all X-witnesses Y-witnesses',
        'quorum X-and-Y',
      ].join('\n'),
    );
    expect(policy.witnesses.map((w) => w.url ?? null)).toEqual([null, null, null, 'https://y1.example/', 'https://y2.example/', 'https://y3.example/']);
    expect(quorumMet(policy, new Set(['X1', 'X2', 'Y3']))).toBe(true);
    expect(quorumMet(policy, new Set(['X1', 'Y1', 'Y2', 'Y3']))).toBe(false);
    expect(quorumMet(policy, new Set(['X1', 'X2', 'X3']))).toBe(false);
  });

  it('accepts quorum none and refuses what the spec forbids, naming the line', () => {
    expect(quorumMet(parseWitnessPolicy('quorum none\n'), new Set())).toBe(true);
    expect(() => parseWitnessPolicy(`witness A ${keys[0]}\n`)).toThrow(/no quorum line/);
    expect(() => parseWitnessPolicy(`witness A ${keys[0]}\nwitness B ${keys[0]}\nquorum A\n`)).toThrow(/line 2: .*same public key/);
    expect(() => parseWitnessPolicy(`group G any A\nwitness A ${keys[0]}\nquorum G\n`)).toThrow(/line 1: A is not defined/);
    expect(() => parseWitnessPolicy(`witness A ${keys[0]}\ngroup G 2 A\nquorum G\n`)).toThrow(/line 2: threshold/);
    expect(() => parseWitnessPolicy(`witness A ${keys[0]}\ngroup G any A A\nquorum G\n`)).toThrow(/listed twice/);
    expect(() => parseWitnessPolicy(`witness A ${keys[0]}\nquorum A\nquorum A\n`)).toThrow(/second quorum/);
    expect(() => parseWitnessPolicy(`witness none ${keys[0]}\nquorum none\n`)).toThrow(/already defined/);
    expect(() => parseWitnessPolicy(`witness A ${log.verifierKey}\nquorum A\n`)).toThrow(/type 0x01/);
    expect(() => parseWitnessPolicy('quorum none\r\n')).toThrow(/control character 0x0d/);
  });
});

describe('add-checkpoint', () => {
  const logKeys = new Map([[log.name, parseTrustFile(log.verifierKey)]]);
  const at = (size: number, salt = ''): RecordedCheckpoint => ({ origin: log.name, size, root: rootOf(leaves(size, salt)), note: checkpointNote(size, salt) });
  const request = (old: number, size: number, salt = '') =>
    parseAddCheckpoint(formatAddCheckpoint({ oldSize: old, proof: old === 0 || old === size ? [] : consistencyProof(leaves(size, salt), old), note: checkpointNote(size, salt) }));

  it('round-trips the body the spec shows and refuses malformed ones', () => {
    const body = formatAddCheckpoint({ oldSize: 3, proof: consistencyProof(leaves(7), 3), note: checkpointNote(7) });
    expect(body.startsWith('old 3\n')).toBe(true);
    expect(parseAddCheckpoint(body).proof).toHaveLength(consistencyProof(leaves(7), 3).length);
    expect(() => parseAddCheckpoint(`old 03\n\n${checkpointNote(1)}`)).toThrow(/old <size>/);
    expect(() => parseAddCheckpoint(`old 0\n${'A'.repeat(43)}=\n\n${checkpointNote(1)}`)).toThrow(/empty when the old size is 0/);
    expect(() => parseAddCheckpoint(`old 1\nnot-base64\n\n${checkpointNote(1)}`)).toThrow(/proof line 1/);
    expect(() => parseAddCheckpoint(`old 1\n${`${'A'.repeat(43)}=\n`.repeat(64)}\n${checkpointNote(1)}`)).toThrow(/more than 63/);
  });

  it('cosigns the first checkpoint and an extension, and says the known size on a mismatch', () => {
    expect(decideAddCheckpoint(request(0, 4), logKeys, () => undefined).status).toBe(200);
    expect(decideAddCheckpoint(request(4, 9), logKeys, () => at(4)).status).toBe(200);
    expect(decideAddCheckpoint(request(9, 9), logKeys, () => at(9)).status).toBe(200);
    expect(decideAddCheckpoint(request(0, 9), logKeys, () => at(4))).toMatchObject({ status: 409, knownSize: 4, fork: false });
  });

  it('refuses a rollback, a fork, a bad proof, an unknown log and an untrusted signature', () => {
    // Rollback: a smaller checkpoint than the recorded one.
    expect(decideAddCheckpoint(request(4, 4), logKeys, () => at(9))).toMatchObject({ status: 409, knownSize: 9 });
    expect(decideAddCheckpoint(parseAddCheckpoint(`old 9\n\n${checkpointNote(4)}`), logKeys, () => at(9)).status).toBe(400);
    // Fork: the same size, another tree, signed by the same log key.
    expect(decideAddCheckpoint(request(9, 9, 'fork'), logKeys, () => at(9))).toMatchObject({ status: 409, fork: true, knownSize: 9 });
    // A tree of size 12 that does not extend the recorded 9.
    expect(decideAddCheckpoint(request(9, 12, 'fork'), logKeys, () => at(9))).toMatchObject({ status: 422, evidence: true });
    const stranger = parseSignerKey(generateSignerKey('other.example/log'));
    const strangerNote = signNote(formatCheckpoint({ origin: 'other.example/log', size: 1, root: rootOf(leaves(1)) }), stranger.name, stranger.privateKey);
    expect(decideAddCheckpoint(parseAddCheckpoint(`old 0\n\n${strangerNote}`), logKeys, () => undefined).status).toBe(404);
    const impostor = parseSignerKey(generateSignerKey(log.name));
    const forged = signNote(formatCheckpoint({ origin: log.name, size: 1, root: rootOf(leaves(1)) }), impostor.name, impostor.privateKey);
    expect(decideAddCheckpoint(parseAddCheckpoint(`old 0\n\n${forged}`), logKeys, () => undefined).status).toBe(403);
  });
});

describe('add-checkpoint against a hostile submitter', () => {
  const logKeys = new Map([[log.name, parseTrustFile(log.verifierKey)]]);
  const emptyRoot = createHash('sha256').update('').digest();
  const at = (size: number, salt = ''): RecordedCheckpoint => ({ origin: log.name, size, root: rootOf(leaves(size, salt)), note: checkpointNote(size, salt) });
  const sizeZero = (root: Buffer) => signNote(formatCheckpoint({ origin: log.name, size: 0, root }), log.name, log.privateKey);

  it("refuses a size-0 checkpoint whose root is not the empty tree's (SHA-256 of the empty string), as evidence", () => {
    const wrong = decideAddCheckpoint(parseAddCheckpoint(`old 0\n\n${sizeZero(Buffer.alloc(32, 0xab))}`), logKeys, () => undefined);
    expect(wrong).toMatchObject({ status: 422, evidence: true, reason: expect.stringMatching(/size 0 must have the empty tree's root/) });
    expect(decideAddCheckpoint(parseAddCheckpoint(`old 0\n\n${sizeZero(emptyRoot)}`), logKeys, () => undefined).status).toBe(200);
  });

  it('quotes at most 100 characters of an origin, a size line or key names, inert', () => {
    const stranger = parseSignerKey(generateSignerKey('other.example/log'));
    const origin = `\u202e\u2028\u0085${'o'.repeat(5000)}`;
    const unknown = signNote(formatCheckpoint({ origin, size: 1, root: rootOf(leaves(1)) }), stranger.name, stranger.privateKey);
    const notFound = decideAddCheckpoint(parseAddCheckpoint(`old 0\n\n${unknown}`), logKeys, () => undefined);
    expect(notFound).toMatchObject({ status: 404, reason: `unknown log \\u202e\\u2028\\u0085${'o'.repeat(97)}…` });
    const badSize = `${log.name}\n${'9'.repeat(5000)}x\n${rootOf(leaves(1)).toString('base64')}\n\n— x AAAAAAA=\n`;
    const notACheckpoint = decideAddCheckpoint(parseAddCheckpoint(`old 0\n\n${badSize}`), logKeys, () => undefined);
    expect(notACheckpoint.status).toBe(400);
    expect((notACheckpoint as { reason: string }).reason.length).toBeLessThan(150);
    const names = Array.from({ length: 50 }, (_, i) => `— \u202e${'n'.repeat(1000)}${i} ${Buffer.alloc(68).toString('base64')}\n`).join('');
    const untrusted = decideAddCheckpoint(parseAddCheckpoint(`old 0\n\n${formatCheckpoint({ origin: log.name, size: 1, root: rootOf(leaves(1)) })}\n${names}`), logKeys, () => undefined);
    expect(untrusted.status).toBe(403);
    expect((untrusted as { reason: string }).reason.length).toBeLessThan(250);
    expect((untrusted as { reason: string }).reason).not.toContain('\u202e');
  });

  it('records and keeps as evidence only the trusted signatures, the first per key', () => {
    const note = checkpointNote(6);
    const [logLine] = note.slice(note.lastIndexOf('\n\n') + 2).split('\n');
    const junk = `— junk.example/x ${Buffer.alloc(68, 1).toString('base64')}\n`;
    const padded = `${note}${junk}${logLine}\n`;
    const cosigned = decideAddCheckpoint(parseAddCheckpoint(`old 0\n\n${padded}`), logKeys, () => undefined);
    expect(cosigned).toMatchObject({ status: 200, checkpoint: { note } });
    const forked = `${checkpointNote(4, 'fork')}${junk}`;
    const fork = decideAddCheckpoint(parseAddCheckpoint(`old 4\n\n${forked}`), logKeys, () => at(4));
    expect(fork).toMatchObject({ status: 409, fork: true, note: checkpointNote(4, 'fork') });
    const inconsistent = decideAddCheckpoint(parseAddCheckpoint(formatAddCheckpoint({ oldSize: 4, proof: consistencyProof(leaves(6, 'x'), 4), note: `${note}${junk}` })), logKeys, () => at(4));
    expect(inconsistent).toMatchObject({ status: 422, evidence: true, note });
  });
});

describe('the auditor witness check', () => {
  const w1 = parseWitnessSigner(generateWitnessKey('w1.example'));
  const w2 = parseWitnessSigner(generateWitnessKey('w2.example'));
  const note = checkpointNote(3);
  const one = note + cosignCheckpoint(noteText(note), w1, Math.floor(Date.now() / 1000));

  it('counts distinct valid cosignatures from listed witnesses', () => {
    const list = parseWitnessList(`# auditors' witnesses\n${w1.verifierKey}\nwitness second ${w2.verifierKey}\n`);
    expect(checkWitnesses(one, list, { minWitnesses: 1 })).toMatchObject({ ok: true, cosignedBy: [{ name: 'w1.example' }] });
    expect(checkWitnesses(one + cosignCheckpoint(noteText(note), w1, 1), list, { minWitnesses: 2 }).ok).toBe(false);
    const both = one + cosignCheckpoint(noteText(note), w2, Math.floor(Date.now() / 1000));
    expect(checkWitnesses(both, list, { minWitnesses: 2 })).toMatchObject({ ok: true, cosignedBy: [{ name: 'w1.example' }, { name: 'second' }] });
    expect(checkWitnesses(note, list, { minWitnesses: 1 }).problems).toEqual(['the checkpoint is cosigned by 0 listed witness(es); 1 of the 2 listed witness(es) must cosign it']);
  });

  it("applies a policy file's quorum when no number is given", () => {
    const list = parseWitnessList(`witness A ${w1.verifierKey}\nwitness B ${w2.verifierKey}\ngroup both all A B\nquorum both\n`);
    expect(checkWitnesses(one, list).ok).toBe(false);
    expect(checkWitnesses(one, list, { minWitnesses: 1 }).ok).toBe(true);
  });

  it('fails a checkpoint whose listed cosignature was altered', () => {
    const list = parseWitnessList(w1.verifierKey);
    const altered = one.replace(/(— w1\.example \S{20})(\S)/, (_, a: string, c: string) => a + (c === 'A' ? 'B' : 'A'));
    expect(checkWitnesses(altered, list, { minWitnesses: 1 }).problems[0]).toMatch(/does not verify/);
  });
});
