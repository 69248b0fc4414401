/**
 * story.txt: the case told in plain text, one line per event (`<seq> <time, UTC ISO> <summary>`),
 * written by the same presenter (presentEvent) the API and the console use. The names it uses are in
 * people.json (display names only, never emails; an erased person is `{"erased": true}`), so the
 * verifier can write the story again from the events and catch a story that says something else.
 */
import { isUtf8 } from 'node:buffer';
import type { Actor, EventBody } from '../timeline/event.js';
import { oneLine } from '../timeline/present-event-actor.js';
import { actorPhrase, eventSummary, type NameLookup, type PersonName } from '../timeline/present-event.js';
import { PACKED_SCAN, packedEnd, packedStart } from './bundle-event-fields.js';
import type { EventFacts } from './bundle-events.js';
import type { CheckRecorder } from './bundle-report.js';
import { duplicateKey } from './json-duplicates.js';

export const STORY_FILE = 'story.txt';
export const PEOPLE_FILE = 'people.json';

/** A person as people.json lists them. */
export type BundlePerson = { readonly name: string } | { readonly erased: true };

/** At most this many differing lines are reported one by one. */
const MAX_REPORTED = 20;

const lookupOf = (people: Readonly<Record<string, BundlePerson>>): NameLookup => (id) => {
  const person = Object.hasOwn(people, id) ? people[id] : undefined;
  if (person === undefined) return undefined;
  return 'erased' in person ? ({ name: '', erased: true } satisfies PersonName) : { name: person.name };
};

/** One line of the story; the body is the event as hashed. */
export function storyLine(seq: number, body: Pick<EventBody, 'at' | 'kind' | 'actor' | 'outcome' | 'data'>, names: NameLookup, who?: string): string {
  return `${seq} ${oneLine(String(body.at))} ${eventSummary(body, names, who)}`;
}

/** story.txt for these events (in seq order), naming people from `people`. */
export function writeStory(events: ReadonlyArray<{ seq: number; bytes: string | Uint8Array }>, people: Readonly<Record<string, BundlePerson>>): string {
  const names = lookupOf(people);
  const lines = events.map((e) => storyLine(e.seq, JSON.parse(Buffer.from(e.bytes).toString('utf8')) as EventBody, names));
  return `${lines.join('\n')}\n`;
}

/** people.json: one person per line, sorted by id, like disclosures.json. */
export function writePeople(people: Readonly<Record<string, BundlePerson>>): string {
  const ids = Object.keys(people).sort();
  if (ids.length === 0) return '{}\n';
  return `{\n${ids.map((id) => `${JSON.stringify(id)}:${JSON.stringify(people[id])}`).join(',\n')}\n}\n`;
}

/** people.json as read, or why it can't be. */
function readPeople(bytes: Buffer | undefined): Record<string, BundlePerson> | string {
  if (bytes === undefined) return 'missing (story.txt names people from it)';
  let parsed: unknown;
  try {
    parsed = isUtf8(bytes) ? JSON.parse(bytes.toString('utf8')) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'not a JSON object';
  const duplicate = duplicateKey(bytes.toString('utf8'));
  if (duplicate !== undefined) return `the key ${JSON.stringify(duplicate)} is given twice`;
  for (const [id, person] of Object.entries(parsed as Record<string, unknown>)) {
    const p = person as Record<string, unknown> | null;
    const named = p !== null && typeof p === 'object' && Object.keys(p).length === 1 && (typeof p.name === 'string' || p.erased === true);
    if (!named) return `${id}: must be {"name": <text>} or {"erased": true}`;
  }
  return parsed as Record<string, BundlePerson>;
}

/** The story line of one event as stored (its bytes), or the line that says it is not JSON. */
export function storyLineOf(seq: number, bytes: Buffer, names: NameLookup): string {
  try {
    return storyLine(seq, JSON.parse(bytes.toString('utf8')) as EventBody, names);
  } catch {
    return `${seq} (an event that is not JSON)`;
  }
}

/** Actors already read, by their JSON text, with the phrase a line starts with: a case has few, and each event names one. */
export type ActorCache = Map<string, { actor: Actor; who: string }>;

/** The value at [start, end) of canonical JSON: a string without escapes is sliced as it is, anything else parsed. */
function valueAt(bytes: Buffer, start: number, end: number): unknown {
  if (start < 0) return undefined;
  if (bytes[start] === 0x22) {
    let plain = true;
    for (let k = start + 1; plain && k < end - 1; k++) plain = bytes[k] !== 0x5c;
    if (plain) return bytes.toString('utf8', start + 1, end - 1);
  }
  return JSON.parse(bytes.toString('utf8', start, end));
}

/** What a line is written from, read from a scanned event's fields; its data parsed on first use. */
class ScannedBody implements Pick<EventBody, 'at' | 'kind' | 'actor' | 'outcome' | 'data'> {
  readonly at: string;
  readonly kind: string;
  readonly outcome: EventBody['outcome'];
  #data: unknown;
  #parsed = false;

  constructor(
    private readonly bytes: Buffer,
    private readonly scans: Int32Array,
    private readonly scanAt: number,
    readonly actor: Actor,
  ) {
    // Typed as the body's fields; the values are whatever the event holds, as JSON.parse would give them.
    this.at = valueAt(bytes, packedStart(scans, scanAt, 'at'), packedEnd(scans, scanAt, 'at')) as string;
    this.kind = valueAt(bytes, packedStart(scans, scanAt, 'kind'), packedEnd(scans, scanAt, 'kind')) as string;
    this.outcome = valueAt(bytes, packedStart(scans, scanAt, 'outcome'), packedEnd(scans, scanAt, 'outcome')) as EventBody['outcome'];
  }

  get data(): EventBody['data'] {
    if (!this.#parsed) {
      this.#data = valueAt(this.bytes, packedStart(this.scans, this.scanAt, 'data'), packedEnd(this.scans, this.scanAt, 'data'));
      this.#parsed = true;
    }
    return this.#data as EventBody['data'];
  }
}

/**
 * storyLineOf for an event already scanned (its packed scan at `at` of `scans`): the same line,
 * read from the fields the scan found instead of parsing the whole event, and the data parsed
 * only when the line names a field of it.
 */
export function storyLineOfScanned(seq: number, bytes: Buffer, scans: Int32Array, at: number, names: NameLookup, actors: ActorCache): string {
  if (scans[at] !== 1) return storyLineOf(seq, bytes, names);
  const actorStart = packedStart(scans, at, 'actor');
  const actorText = actorStart < 0 ? '' : bytes.toString('latin1', actorStart, packedEnd(scans, at, 'actor'));
  let known = actors.get(actorText);
  if (known === undefined) {
    const actor = valueAt(bytes, actorStart, packedEnd(scans, at, 'actor'));
    known = { actor: actor as Actor, who: actorPhrase(actor as Actor, names) };
    actors.set(actorText, known);
  }
  const body = new ScannedBody(bytes, scans, at, known.actor);
  return storyLine(seq, body, names, known.who);
}

/** Reads people.json as the story check does: the names, or why they can't be read. */
export function storyNames(bytes: Buffer | undefined): NameLookup | string {
  const people = readPeople(bytes);
  return typeof people === 'string' ? people : lookupOf(people);
}

/**
 * Writes the story again from the events and compares it with story.txt, line by line. `scans`
 * are the events' packed scans (checkEvents); `written` are the lines already written from these
 * events elsewhere (`latch verify --jobs`).
 */
export function checkStory(files: ReadonlyMap<string, Buffer>, events: readonly EventFacts[], scans: Int32Array, check: CheckRecorder, written?: readonly string[]): void {
  const story = files.get(STORY_FILE);
  if (story === undefined) {
    check.notice(`${STORY_FILE}: absent (bundles exported before stories were added have none); nothing to check`);
    return check.finish('no story in this bundle');
  }
  const people = readPeople(files.get(PEOPLE_FILE));
  if (typeof people === 'string') {
    check.fail(`${PEOPLE_FILE}: ${people}`);
    return check.finish('');
  }
  const names = lookupOf(people);
  const actors: ActorCache = new Map();
  // Each line is written and compared in turn, and none is kept: ten thousand kept lines cost more
  // to keep (the garbage collector copies them) than to write.
  const lineOf = (i: number): string | undefined => {
    if (written?.length === events.length) return written[i];
    const event = events[i];
    return event === undefined ? undefined : storyLineOfScanned(event.seq, event.bytes, scans, i * PACKED_SCAN, names, actors);
  };
  const lines = isUtf8(story) ? story.toString('utf8').replace(/\n$/, '').split('\n') : [];
  let reported = 0;
  for (let i = 0; i < Math.max(events.length, lines.length); i++) {
    const expected = lineOf(i);
    if (expected === lines[i]) continue;
    if (++reported > MAX_REPORTED) continue;
    const seq = events[i]?.seq ?? i + 1;
    // Quoted as JSON: a forged line may hold terminal control sequences.
    const says = JSON.stringify(expected);
    if (lines[i] === undefined) check.fail(`${STORY_FILE}: line ${i + 1} is missing: the events say ${says}`);
    else if (expected === undefined) check.fail(`${STORY_FILE}: line ${i + 1} tells of no event: ${JSON.stringify(lines[i]!.slice(0, 200))}`);
    else check.fail(`${STORY_FILE}: line ${i + 1} does not match event ${seq}: it says ${JSON.stringify(lines[i]!.slice(0, 200))}, the events say ${says}`);
  }
  if (reported > MAX_REPORTED) check.fail(`${STORY_FILE}: ${reported - MAX_REPORTED} more lines do not match the events`);
  if (reported === 0 && Object.keys(people).length > 0) check.notice(`${STORY_FILE} names people as ${PEOPLE_FILE} lists them; names are not hashed into the events, so they are as trustworthy as the exporter`);
  check.finish(`${events.length} lines, each written again from its event`);
}
