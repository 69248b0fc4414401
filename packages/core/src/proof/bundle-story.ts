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
import { F, PACKED_SCAN, packedEnd, packedStart } from './bundle-event-fields.js';
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

/**
 * Values read from spans of event bytes, kept by those bytes: a case repeats a few kinds and actors
 * thousands of times, and comparing a span's bytes costs less than reading it again.
 */
class SpanValues<T> {
  readonly #buckets = new Map<number, Array<{ bytes: Buffer; value: T }>>();
  /** The span found last: events in a row often share their actor. */
  #last: { bytes: Buffer; value: T } | undefined;
  constructor(private readonly read: (bytes: Buffer, start: number, end: number) => T) {}

  /** How many distinct spans were read. */
  get size(): number {
    let n = 0;
    for (const bucket of this.#buckets.values()) n += bucket.length;
    return n;
  }

  get(bytes: Buffer, start: number, end: number): T {
    if (start < 0) return this.read(bytes, start, end);
    const last = this.#last;
    if (last !== undefined && sameBytes(last.bytes, bytes, start, end)) return last.value;
    // Bucketed by length and four bytes spread over the span (a few reads, not a hash of every
    // byte): the spans of one case differ in their ids, which these usually fall in.
    const length = end - start;
    const h = length * 0x1000193 + ((bytes[start + (length >> 1)]! << 24) | (bytes[start + (length >> 2)]! << 16) | (bytes[start + ((3 * length) >> 2)]! << 8) | bytes[end - 2]!);
    let bucket = this.#buckets.get(h);
    if (bucket === undefined) this.#buckets.set(h, (bucket = []));
    else {
      for (const entry of bucket) if (sameBytes(entry.bytes, bytes, start, end)) return (this.#last = entry).value;
    }
    const entry = { bytes: Buffer.from(bytes.subarray(start, end)), value: this.read(bytes, start, end) };
    bucket.push(entry);
    return (this.#last = entry).value;
  }
}

function sameBytes(known: Buffer, bytes: Buffer, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let k = 0; k < known.length; k++) if (known[k] !== bytes[start + k]) return false;
  return true;
}

/** What a line is written from, read from a scanned event's fields; its time and data read on first use. */
class ScannedBody implements Pick<EventBody, 'at' | 'kind' | 'actor' | 'outcome' | 'data'> {
  #data: unknown;
  #parsed = false;

  constructor(
    private readonly bytes: Buffer,
    private readonly scans: Int32Array,
    private readonly scanAt: number,
    readonly actor: Actor,
    /** How the line starts (actorPhrase of the actor). */
    readonly who: string,
    // Typed as the body's fields; the values are whatever the event holds, as JSON.parse would give them.
    readonly kind: string,
  ) {}

  /** Read when asked: no line is written from it. */
  get outcome(): EventBody['outcome'] {
    return valueAt(this.bytes, packedStart(this.scans, this.scanAt, F.outcome), packedEnd(this.scans, this.scanAt, F.outcome)) as EventBody['outcome'];
  }

  get at(): string {
    return valueAt(this.bytes, packedStart(this.scans, this.scanAt, F.at), packedEnd(this.scans, this.scanAt, F.at)) as string;
  }

  /** Whether the line read the data: a line that did not is the same for every event of its kind and actor. */
  get dataRead(): boolean {
    return this.#parsed;
  }

  get data(): EventBody['data'] {
    if (!this.#parsed) {
      this.#data = valueAt(this.bytes, packedStart(this.scans, this.scanAt, F.data), packedEnd(this.scans, this.scanAt, F.data));
      this.#parsed = true;
    }
    return this.#data as EventBody['data'];
  }
}

/**
 * Writes story lines from scanned events (their packed scans), the same lines storyLineOf writes
 * from a parse of the whole event: fields are read from where the scan found them, the data only
 * when the line names a field of it, and each distinct kind and actor (with the phrase a line
 * starts with) once per case. One reader per story.
 */
export class StoryWriter {
  readonly actors: SpanValues<{ actor: Actor; who: string }>;
  readonly #values = new SpanValues(valueAt);
  /**
   * Summaries that read nothing of the data, by kind and then by who acted ("Ana Ruiz added a
   * note"): a line is a function of its kind, its actor's phrase and its data (eventSummary), so one
   * that did not read the data is the line of every event of that kind and actor.
   */
  readonly #withoutData = new Map<string, Map<string, string>>();

  constructor(readonly names: NameLookup) {
    this.actors = new SpanValues((bytes, start, end) => {
      const actor = valueAt(bytes, start, end) as Actor;
      return { actor, who: actorPhrase(actor, names) };
    });
  }

  /** The line of event `seq`, whose packed scan is at `at` of `scans`. */
  line(seq: number, bytes: Buffer, scans: Int32Array, at: number): string {
    if (scans[at] !== 1) return storyLineOf(seq, bytes, this.names);
    const body = this.#body(bytes, scans, at);
    return storyLine(seq, body, this.names, body.who);
  }

  /**
   * Whether bytes [from, to) of `story` (valid UTF-8, as a whole story.txt must be) are exactly
   * that line, compared in place: the seq and the time against the event's bytes, then the summary
   * as written. False also when it can't tell cheaply (a time that is not plain ASCII): the caller
   * then writes the whole line to compare.
   */
  matches(story: Buffer, from: number, to: number, seq: number, bytes: Buffer, scans: Int32Array, at: number): boolean {
    if (scans[at] !== 1) return false;
    // The seq: as many digits as it has, whose value it is (so no leading zero), read with no division.
    let digits = 1;
    for (let power = 10; power <= seq; power *= 10) digits++;
    let p = from + digits;
    if (p >= to || story[p] !== 0x20) return false;
    let value = 0;
    for (let k = from; k < p; k++) {
      const digit = story[k]! - 0x30;
      if (digit < 0 || digit > 9) return false;
      value = value * 10 + digit;
    }
    if (value !== seq) return false;
    // The time as the line writes it (oneLine leaves printable ASCII without spaces as it is).
    const timeStart = packedStart(scans, at, F.at);
    const timeEnd = packedEnd(scans, at, F.at);
    if (timeStart < 0 || bytes[timeStart] !== 0x22 || timeEnd - timeStart < 3) return false;
    p++;
    for (let k = timeStart + 1; k < timeEnd - 1; k++, p++) {
      const c = bytes[k]!;
      if (c < 0x21 || c > 0x7e || c === 0x5c || p >= to || story[p] !== c) return false;
    }
    if (p >= to || story[p] !== 0x20) return false;
    return isUtf8Of(story, p + 1, to, this.#summaryOf(bytes, scans, at));
  }

  /** The summary of the event scanned at `at`: a line that reads no data is looked up before any body is made for it. */
  #summaryOf(bytes: Buffer, scans: Int32Array, at: number): string {
    const { actor, who } = this.#actorAt(bytes, scans, at);
    const kind = this.#kindAt(bytes, scans, at);
    return this.#withoutData.get(kind)?.get(who) ?? this.#summary(new ScannedBody(bytes, scans, at, actor, who, kind));
  }

  /** Writes the summary of a body not found among #withoutData, and keeps it there when it read no data. */
  #summary(body: ScannedBody): string {
    const byWho = this.#withoutData.get(body.kind);
    const summary = eventSummary(body, this.names, body.who);
    if (!body.dataRead && typeof body.kind === 'string') {
      if (byWho === undefined) this.#withoutData.set(body.kind, new Map([[body.who, summary]]));
      else byWho.set(body.who, summary);
    }
    return summary;
  }

  #body(bytes: Buffer, scans: Int32Array, at: number): ScannedBody {
    const { actor, who } = this.#actorAt(bytes, scans, at);
    return new ScannedBody(bytes, scans, at, actor, who, this.#kindAt(bytes, scans, at));
  }

  /** The actor of the event scanned at `at`, with the phrase its lines start with. */
  #actorAt(bytes: Buffer, scans: Int32Array, at: number): { actor: Actor; who: string } {
    return this.actors.get(bytes, packedStart(scans, at, F.actor), packedEnd(scans, at, F.actor));
  }

  #kindAt(bytes: Buffer, scans: Int32Array, at: number): string {
    return this.#values.get(bytes, packedStart(scans, at, F.kind), packedEnd(scans, at, F.kind)) as string;
  }
}

/**
 * Bytes [from, to) of valid UTF-8 (a line of a file checked whole) are the UTF-8 of `text`.
 * Decoded natively and compared: a loop of charCodeAt costs half as much again.
 */
function isUtf8Of(bytes: Buffer, from: number, to: number, text: string): boolean {
  // UTF-8 takes at least a byte per UTF-16 unit.
  return to - from >= text.length && bytes.toString('utf8', from, to) === text;
}

/** Reads people.json as the story check does: the names, or why they can't be read. */
export function storyNames(bytes: Buffer | undefined): NameLookup | string {
  const people = readPeople(bytes);
  return typeof people === 'string' ? people : lookupOf(people);
}

/**
 * Writes the story again from the events and compares it with story.txt, line by line. `scans`
 * are the events' packed scans (checkEvents); `matched` holds a 1 for each line already found to be
 * the event's line elsewhere (`latch verify --jobs`), by this same comparison. `bound`: the
 * manifest gives story.txt no hash (format 3), so this check holds every byte of it: the story
 * must be there, and end with exactly one line break.
 */
export function checkStory(
  files: ReadonlyMap<string, Buffer>,
  events: readonly EventFacts[],
  scans: Int32Array,
  check: CheckRecorder,
  matched?: Uint8Array,
  bound = false,
): void {
  const story = files.get(STORY_FILE);
  if (story === undefined && bound) {
    check.fail(`${STORY_FILE}: missing: every bundle of this format tells the case's story`);
    return check.finish('');
  }
  if (story === undefined) {
    check.notice(`${STORY_FILE}: absent, so nothing to check (bundles of this format exported before stories were added have none; every format 3 bundle has one)`);
    return check.finish('no story in this bundle');
  }
  if (bound && story[story.length - 1] !== 0x0a) check.fail(`${STORY_FILE}: does not end with a line break`);
  const people = readPeople(files.get(PEOPLE_FILE));
  if (typeof people === 'string') {
    check.fail(`${PEOPLE_FILE}: ${people}`);
    return check.finish('');
  }
  const writer = new StoryWriter(lookupOf(people));
  const given = matched?.length === events.length ? matched : undefined;
  const lineOf = (i: number): string | undefined => {
    const event = events[i];
    return event === undefined ? undefined : writer.line(event.seq, event.bytes, scans, i * PACKED_SCAN);
  };
  // Each line is compared where it lies in story.txt's bytes: ten thousand lines decoded, cut out
  // and kept cost more than writing them. Lines as split('\n') gives them, after the one line
  // break the file ends with; a file that is not UTF-8 has none.
  const utf8 = isUtf8(story);
  const length = !utf8 ? 0 : story[story.length - 1] === 0x0a ? story.length - 1 : story.length;
  let reported = 0;
  let from = 0;
  for (let i = 0; i < events.length || (utf8 && from <= length); i++) {
    const present = utf8 && from <= length;
    let to = present ? story.indexOf(0x0a, from) : -1;
    if (to < 0 || to > length) to = length;
    const event = events[i];
    const same = present && event !== undefined && (given?.[i] === 1 || writer.matches(story, from, to, event.seq, event.bytes, scans, i * PACKED_SCAN));
    const lineStart = from;
    from = to + 1;
    if (same) continue;
    const actual = present ? story.toString('utf8', lineStart, to) : undefined;
    const expected = lineOf(i);
    if (expected === actual) continue;
    if (++reported > MAX_REPORTED) continue;
    const seq = event?.seq ?? i + 1;
    // Quoted as JSON: a forged line may hold terminal control sequences.
    const says = JSON.stringify(expected);
    if (actual === undefined) check.fail(`${STORY_FILE}: line ${i + 1} is missing: the events say ${says}`);
    else if (expected === undefined) check.fail(`${STORY_FILE}: line ${i + 1} tells of no event: ${JSON.stringify(actual.slice(0, 200))}`);
    else check.fail(`${STORY_FILE}: line ${i + 1} does not match event ${seq}: it says ${JSON.stringify(actual.slice(0, 200))}, the events say ${says}`);
  }
  if (reported > MAX_REPORTED) check.fail(`${STORY_FILE}: ${reported - MAX_REPORTED} more lines do not match the events`);
  if (reported === 0 && Object.keys(people).length > 0) check.notice(`${STORY_FILE} names people as ${PEOPLE_FILE} lists them; names are not hashed into the events, so they are as trustworthy as the exporter`);
  check.finish(`${events.length} lines, each written again from its event`);
}
