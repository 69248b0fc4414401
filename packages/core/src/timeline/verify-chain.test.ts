import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../canonical.js';
import { sealEvents, type EventDraft } from './event.js';
import { commitTo, personal } from './personal-data.js';
import { verifyChain, type StoredEvent } from './verify-chain.js';

const stream = '0190a5c4-1111-7000-8000-000000000001';
const actor = { type: 'user', id: 'u1' } as const;
const drafts: EventDraft[] = [
  { kind: 'case.created', actor, data: { title: personal('Refund for Jane'), amount_minor: 4999 } },
  { kind: 'note.added', actor, data: { body: personal('called the customer') } },
  { kind: 'status.changed', actor, data: { from: 'new', to: 'in_progress' } },
];

function chain(): StoredEvent[] {
  return sealEvents(drafts, { stream, seq: 0, hash: null }).map((e) => ({ id: e.id, stream, seq: e.seq, kind: e.kind, hash: e.hash, bytes: e.bytes }));
}

describe('sealed events', () => {
  it('are canonical JSON, linked by hash, and hold commitments instead of personal data', () => {
    const sealed = sealEvents(drafts, { stream, seq: 0, hash: null });
    expect(sealed.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(sealed[1]!.prevHash).toBe(sealed[0]!.hash);
    expect(canonicalJson(JSON.parse(sealed[0]!.bytes))).toBe(sealed[0]!.bytes);
    expect(sealed[0]!.hash).toBe(sha256Hex(sealed[0]!.bytes));
    expect(sealed[0]!.bytes).not.toContain('Jane');
    const [disclosure] = sealed[0]!.disclosures;
    expect(commitTo(disclosure!.value, disclosure!.salt)).toBe(disclosure!.commitment);
    expect(sealed[0]!.bytes).toContain(disclosure!.commitment);
  });

  it('refuse floats and the reserved commitment key', () => {
    expect(() => sealEvents([{ kind: 'x', actor, data: { amount: 1.5 } }], { stream, seq: 0, hash: null })).toThrow(/integers/);
    expect(() => sealEvents([{ kind: 'x', actor, data: { $pii: 'forged' } }], { stream, seq: 0, hash: null })).toThrow(/reserved/);
  });
});

describe('verifyChain', () => {
  it('accepts an untouched chain', () => {
    const events = chain();
    expect(verifyChain(stream, events, { seq: 3, hash: events[2]!.hash })).toMatchObject({ ok: true, eventsChecked: 3 });
  });

  const tampers: [string, (events: StoredEvent[]) => StoredEvent[], RegExp][] = [
    ['a changed byte', (e) => e.map((x, i) => (i === 1 ? { ...x, bytes: x.bytes.replace('note.added', 'note.addeD') } : x)), /hash/],
    ['a re-hashed edit', (e) => e.map((x, i) => (i === 1 ? rehash({ ...x, bytes: x.bytes.replace('"seq":2', '"seq":2,"x":1') }) : x)), /previous-hash|canonical/],
    ['a deleted event', (e) => [e[0]!, e[2]!], /missing/],
    ['swapped events', (e) => [e[0]!, e[2]!, e[1]!], /missing|out of order/],
    // A superuser swapping two rows' bytes keeps the stored seq: the bytes say otherwise.
    ['swapped bytes under kept seqs', (e) => [e[0]!, { ...e[2]!, seq: 2 }, { ...e[1]!, seq: 3 }], /stored as event 2 but its bytes are event 3.*moved or swapped/],
    ['a deleted tail', (e) => e.slice(0, 2), /missing/],
    ['non-canonical bytes', (e) => e.map((x, i) => (i === 0 ? rehash({ ...x, bytes: JSON.stringify(JSON.parse(x.bytes), null, 1) }) : x)), /canonical/],
  ];
  it.each(tampers)('detects %s', (_name, tamper, problem) => {
    const events = chain();
    const report = verifyChain(stream, tamper(events), { seq: 3, hash: events[2]!.hash });
    expect(report.ok).toBe(false);
    expect(report.firstBreak!.problem).toMatch(problem);
  });
});

function rehash(event: StoredEvent): StoredEvent {
  return { ...event, hash: sha256Hex(event.bytes) };
}
