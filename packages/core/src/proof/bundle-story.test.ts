import { describe, expect, it } from 'vitest';
import { sealEvents, type EventDraft } from '../timeline/event.js';
import { personal } from '../timeline/personal-data.js';
import { PACKED_SCAN } from './bundle-event-fields.js';
import { packEventScan } from './bundle-events.js';
import { StoryWriter, storyLineOf, storyNames } from './bundle-story.js';

// The verifier writes each story line from the fields its canonical scan found (StoryWriter),
// with the data parsed only when the line names it. It must write exactly the line a parse of the
// whole event gives (storyLineOf), which is what the exporter wrote: any difference would fail a
// genuine bundle, or pass a forged story.

const CASE = '0190a5c4-1111-7000-8000-000000000001';
const ana = { type: 'user', id: 'u-ana' } as const;
const ben = { type: 'user', id: 'u-ben' } as const;
const refund = { amount_minor: 61200, currency: 'usd', payment_intent: 'pi_3Qx', reason: 'requested_by_customer' };

const drafts: EventDraft[] = [
  { kind: 'case.created', actor: ana, data: { type: 'refund', queue: 'refunds', title: personal('Refund for Jane'), amount_minor: 4999, currency: 'eur' } },
  { kind: 'note.added', actor: ana, data: { body: personal('called "Jane"\nabout order 1042') } },
  { kind: 'status.changed', actor: ben, data: { from: 'new', to: 'in\tprogress' } },
  // Escapes and text beyond ASCII in fields a line quotes: sliced strings must not be taken as they are.
  { kind: 'field.changed', actor: ana, data: { changes: [{ field: 'priority', from: 'normal', to: 'high\tnow' }, { field: 'city', from: null, to: 'Zürich — “centre”' }] } },
  { kind: 'action.proposed', actor: ana, data: { actionId: 'a-1', action: 'refund', plugin: 'stripe', input: refund } },
  { kind: 'approval.granted', actor: ben, data: { actionId: 'a-1', action: 'refund', stepName: 'Finance \u2028lead', onBehalfOf: 'u-carla' } },
  { kind: 'attempt.blocked', actor: ana, outcome: 'refused', reason: 'SOD', data: { actionId: 'a-1', code: 'SOD_SAME_PERSON' } },
  { kind: 'action.succeeded', actor: { type: 'plugin', id: 'stripe' }, data: { actionId: 'a-1', action: 'refund', result: { id: 're_1' } } },
  { kind: 'alert.fired', actor: { type: 'system', id: 'intake' }, data: { alertname: 'Disk\\full', source: 'prom', severity: 'page', startsAt: '2026-12-05T00:00:00Z' } },
  // A kind (sliced from the event when it holds no escape) with one.
  { kind: 'odd\u0007kind', actor: ana, data: {} },
  { kind: 'some.future_kind', actor: { type: 'token', id: 't-1', user: 'u-ben' }, data: {} },
  { kind: 'user.updated', actor: { type: 'system', id: 'sso' }, data: ['not', 'an', 'object'] as unknown as Record<string, unknown> },
];

const people = Buffer.from('{\n"u-ana":{"name":"Ana Ruiz"},\n"u-ben":{"erased":true},\n"u-carla":{"name":"Carla  \\u0007Diaz"}\n}\n');

describe('story lines written from scanned fields', () => {
  const events = sealEvents(drafts, { stream: CASE, seq: 0, hash: null }).map((e) => Buffer.from(e.bytes));
  const names = storyNames(people);
  if (typeof names === 'string') throw new Error(names);

  it('are exactly the lines a parse of each whole event writes, for every kind of line', () => {
    const writer = new StoryWriter(names);
    const scans = new Int32Array(events.length * PACKED_SCAN);
    events.forEach((bytes, i) => packEventScan(bytes, scans, i * PACKED_SCAN));
    for (const [i, bytes] of events.entries()) {
      expect(scans[i * PACKED_SCAN]).toBe(1);
      expect(writer.line(i + 1, bytes, scans, i * PACKED_SCAN)).toBe(storyLineOf(i + 1, bytes, names));
    }
    // The lines say what the events say, amounts and names included.
    const written = events.map((bytes, i) => storyLineOf(i + 1, bytes, names));
    expect(written[0]).toMatch(/^1 \S+ Ana Ruiz opened a refund case in queue refunds: EUR 49\.99$/);
    expect(written[2]).toMatch(/Erased person moved the case from new to in progress$/);
    expect(written[3]).toMatch(/Ana Ruiz changed priority, changed city$/);
    expect(written[4]).toContain('proposed Refund through Stripe: USD 612.00 on pi_3Qx');
    expect(written[5]).toContain('Erased person approved');
    expect(written[5]).toContain('for Carla Diaz');
    expect(written[8]).toContain('Alert Disk\\full fired');
    expect(written[9]).toMatch(/Ana Ruiz recorded odd kind$/);
    // Two actors of the case are read once each, however many events they have.
    expect(writer.actors.size).toBe(new Set(drafts.map((d) => JSON.stringify(d.actor))).size);
  });

  it('match a story line in place exactly when it is the line written, and never a line that differs', () => {
    const writer = new StoryWriter(names);
    const scans = new Int32Array(events.length * PACKED_SCAN);
    events.forEach((bytes, i) => packEventScan(bytes, scans, i * PACKED_SCAN));
    const at = (i: number) => i * PACKED_SCAN;
    for (const [i, bytes] of events.entries()) {
      const line = writer.line(i + 1, bytes, scans, at(i));
      // Where it lies in a longer text, as in story.txt.
      const within = (candidate: string) => Buffer.from(`x\n${candidate}\ny`);
      const matches = (candidate: string, seq = i + 1) => writer.matches(within(candidate), 2, 2 + Buffer.byteLength(candidate), seq, bytes, scans, at(i));
      expect(matches(line), line).toBe(true);
      const space = line.indexOf(' ');
      const time = line.indexOf(' ', space + 1);
      const variants = [
        `${i + 2}${line.slice(space)}`, // another seq
        `0${line}`,
        line.slice(0, space + 3) + (line[space + 3] === '1' ? '2' : '1') + line.slice(space + 4), // another time
        `${line.slice(0, time)}Z${line.slice(time)}`,
        `${line} `, // a summary longer, shorter, or altered
        line.slice(0, -1),
        `${line.slice(0, -1)}${line.endsWith('x') ? 'y' : 'x'}`,
        line.replace(' ', '  '),
      ];
      for (const variant of variants) expect(matches(variant), variant).toBe(false);
      expect(matches(line, i + 11)).toBe(false);
    }
  });

  it('keep a line that reads no data for its kind and actor only, and write every line that reads data again', () => {
    const many: EventDraft[] = [];
    for (let i = 0; i < 6; i++) {
      many.push({ kind: 'note.added', actor: i % 2 === 0 ? ana : ben, data: { body: personal(`note ${i}`) } });
      many.push({ kind: 'status.changed', actor: ana, data: { from: `s${i}`, to: `s${i + 1}` } });
    }
    const sealed = sealEvents(many, { stream: CASE, seq: 0, hash: null }).map((e) => Buffer.from(e.bytes));
    const writer = new StoryWriter(names);
    const scans = new Int32Array(sealed.length * PACKED_SCAN);
    sealed.forEach((bytes, i) => packEventScan(bytes, scans, i * PACKED_SCAN));
    const lines = sealed.map((bytes, i) => storyLineOf(i + 1, bytes, names));
    const story = (line: string) => Buffer.from(line);
    const matches = (line: string, i: number) => writer.matches(story(line), 0, Buffer.byteLength(line), i + 1, sealed[i]!, scans, i * PACKED_SCAN);
    // Twice over: the second time every note's line comes from what the first kept.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < sealed.length; i++) {
        expect(matches(lines[i]!, i)).toBe(true);
        // The line of another event of the same kind, with this event's seq and time: only equal when it says the same.
        for (let j = i % 2; j < sealed.length; j += 2) {
          const other = `${i + 1} ${lines[i]!.split(' ')[1]} ${lines[j]!.split(' ').slice(2).join(' ')}`;
          expect(matches(other, i), `${i} with ${j}'s summary`).toBe(other === lines[i]);
        }
      }
    }
    expect(lines[0]).toMatch(/Ana Ruiz added a note$/);
    expect(lines[2]).toMatch(/Erased person added a note$/);
    expect(lines[3]).toMatch(/moved the case from s1 to s2$/);
  });

  it('fall back to parsing an event the scan did not accept', () => {
    const bytes = Buffer.from(`{"actor":{"id":"u-ana","type":"user"},"kind":"note.added","kind":"status.changed"}`);
    const scans = new Int32Array(PACKED_SCAN);
    packEventScan(bytes, scans, 0);
    expect(scans[0]).toBe(0);
    expect(new StoryWriter(names).line(7, bytes, scans, 0)).toBe(storyLineOf(7, bytes, names));
    expect(new StoryWriter(names).line(8, Buffer.from('not json'), new Int32Array(PACKED_SCAN), 0)).toBe('8 (an event that is not JSON)');
  });
});
