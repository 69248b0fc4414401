import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../canonical.js';
import { sealEvent } from '../timeline/event.js';
import { personal } from '../timeline/personal-data.js';
import { FIELDS, PACKED_SCAN } from './bundle-event-fields.js';
import { jsonValues } from './json-values.fixture.js';
import { packEventScan, scanEventsNatively } from './bundle-events.js';
import { nativeAddon, useNative } from './native-addon.js';

// The addon's first reading of events (native/canonical-scan.c) may only ever accept what the
// TypeScript reading accepts, with the same spans: an event it flags 1 is not read again. It may
// leave any event to the TypeScript (flag 0). These tests hold it to that on generated events,
// on single-character edits of them, and on events as Latch writes them, which it must accept.

/** A file of lines, as events.jsonl holds events, and each line's bounds. */
function fileOf(lines: readonly string[]): { bytes: Buffer; bounds: Int32Array } {
  const bytes = Buffer.from(lines.map((line) => `${line}\n`).join(''));
  const bounds = new Int32Array(2 * lines.length);
  let start = 0;
  for (let k = 0; k < lines.length; k++) {
    const end = bytes.indexOf(0x0a, start);
    bounds[2 * k] = start;
    bounds[2 * k + 1] = end;
    start = end + 1;
  }
  return { bytes, bounds };
}

/** The TypeScript reading of each line, packed as checkEvents keeps it. */
function scannedInTypeScript(bytes: Buffer, bounds: Int32Array): Int32Array {
  const scans = new Int32Array((bounds.length / 2) * PACKED_SCAN);
  for (let k = 0; 2 * k < bounds.length; k++) packEventScan(bytes.subarray(bounds[2 * k], bounds[2 * k + 1]), scans, k * PACKED_SCAN, true);
  return scans;
}

/** Checks the native reading of the lines against the TypeScript one; how many lines it accepted. */
function agree(lines: readonly string[]): number {
  const { bytes, bounds } = fileOf(lines);
  const native = scanEventsNatively(bytes, bounds, isUtf8(bytes));
  if (!isUtf8(bytes)) {
    expect(native).toBeUndefined(); // never asked to read what is not UTF-8
    return 0;
  }
  expect(native).toBeDefined();
  const typescript = scannedInTypeScript(bytes, bounds);
  let accepted = 0;
  for (let k = 0; k < lines.length; k++) {
    const at = k * PACKED_SCAN;
    if (native![at] !== 1) {
      expect(native![at]).toBe(0);
      continue;
    }
    accepted++;
    expect({ line: lines[k], scan: [...typescript.subarray(at, at + PACKED_SCAN)] }).toEqual({ line: lines[k], scan: [...native!.subarray(at, at + PACKED_SCAN)] });
  }
  return accepted;
}

const trickyStrings = ['', 'a', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', 'é', '\u2028', '\u{1F600}', '\uffff', '__proto__', '$pii', 'a"b', 'c\\d'];
const value = jsonValues({
  tricky: trickyStrings,
  numbers: [0, 9, 10, 999_999_999_999_999, 1_000_000_000_000_000, -999_999_999_999_999, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
  keys: ['a', 'b', 'ab', 'é', 'e', 'z'],
  stringLength: 6,
});
/** An event-like object: some of the fields an event has, and now and then one it has not. */
const eventLike = fc.dictionary(fc.constantFrom(...FIELDS, ...FIELDS, 'zz', 'a', 'data2', 'é'), value, { maxKeys: 8 });
const serialisations = (o: unknown): string[] => {
  const texts = [JSON.stringify(o)];
  try {
    texts.push(canonicalJson(o));
  } catch {
    // not canonicalisable: the plain serialisation still exercises the readers
  }
  return texts.map((t) => t.replaceAll('\n', '\\n')); // one line each, as events.jsonl holds them
};

afterEach(() => useNative(true));

describe('the native first reading of events', () => {
  it('is built by npm install on this machine (so these tests check it)', () => {
    expect(typeof nativeAddon()?.scanObjects).toBe('function');
  });

  it('accepts events as Latch writes them, with the spans the TypeScript reading finds', () => {
    let head = { stream: '0190a5c4-1111-7000-8000-000000000001', seq: 0, hash: null as string | null };
    const lines: string[] = [];
    const drafts = [
      { kind: 'status.changed', actor: { type: 'user' as const, id: 'u-1' }, data: { from: 'new', to: 'in_progress' } },
      { kind: 'note.added', actor: { type: 'user' as const, id: 'u-1' }, data: { noteId: 'n-1', body: personal('called the customer') } },
      { kind: 'action.proposed', actor: { type: 'user' as const, id: 'u-1' }, data: { action: 'refund', input: { amount_minor: 5003, currency: 'usd' }, requirements: [{ count: 1, name: "Finance lead's review" }] } },
      { kind: 'attachment.added', actor: { type: 'user' as const, id: 'u-1' }, data: { size: 12 }, blobs: ['a'.repeat(64)] },
    ];
    for (const draft of drafts) {
      const event = sealEvent(draft, head);
      lines.push(Buffer.from(event.bytes).toString('utf8'));
      head = { stream: head.stream, seq: event.seq, hash: event.hash };
    }
    expect(agree(lines)).toBe(lines.length);
  });

  it('leaves to the TypeScript what is not of the plainest form, and accepts nothing it refuses', () => {
    const plain = '{"a":"x","kind":"k"}';
    expect(agree([plain])).toBe(0); // "a" is not a field of an event: unexpected, left to the TypeScript
    const lines = [
      '{"kind":"k","v":1}',
      '{"kind":"a\\"b\\n\\u001f","v":1}', // escapes as JSON.stringify writes them: read
      '{"kind":"\\u0041","v":1}', // an escape JSON.stringify does not write
      '{"kind":"\\u000a","v":1}', // \n written the long way
      '{"kind":"\\/","v":1}',
      '{"data":{"a\\"b":1},"v":1}', // an escape in a key: left to the TypeScript, which decodes keys to order them
      '{"data":{"é":1,"z":2},"v":1}', // non-ASCII keys
      '{"data":{"b":1,"a":2},"v":1}', // keys out of order
      '{"data":{"a":1,"a":2},"v":1}', // a key given twice
      '{"seq":9007199254740991,"v":1}', // sixteen digits
      '{"seq":-0,"v":1}',
      '{"seq":01,"v":1}',
      '{"seq":1.5,"v":1}',
      '{"kind":"k", "v":1}',
      '{"v":1,"kind":"k"}',
      '{"kind":"k","v":1}x',
      '{"kind":"k","v":1',
      `{"data":${'['.repeat(40)}${']'.repeat(40)},"v":1}`,
      '{}',
    ];
    const accepted = agree(lines);
    const { bytes, bounds } = fileOf(lines);
    const native = scanEventsNatively(bytes, bounds, true)!;
    expect(lines.filter((_, k) => native[k * PACKED_SCAN] === 1)).toEqual(['{"kind":"k","v":1}', '{"kind":"a\\"b\\n\\u001f","v":1}', '{}']);
    expect(accepted).toBe(3);
  });

  it('agrees with the TypeScript reading on generated events', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(eventLike, { minLength: 1, maxLength: 6 }), (objects) => {
        accepted += agree(objects.flatMap(serialisations));
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(500); // the plain ones are accepted, not all left to the TypeScript
  });

  it('agrees with it on single-character edits of them', () => {
    const edit = fc.constantFrom(' ', '0', '1', '-', '.', 'e', '\\', '"', 'a', ',', ':', '{', '}', '[', ']', 'n', 't', '\\u0041', '\\u000a', '\\u001f', '\\u001F', '\\/', '\\"', '\u0000', '\u001f', 'é', '\u{1F600}');
    fc.assert(
      fc.property(eventLike, fc.nat(), edit, fc.boolean(), (o, at, insert, replace) => {
        const lines = serialisations(o).map((line) => {
          const i = at % (line.length + 1);
          return (line.slice(0, i) + insert + line.slice(replace ? i + 1 : i)).replaceAll('\n', '\\n');
        });
        agree(lines);
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses spans and outputs outside their buffers, writing nothing', () => {
    const scan = nativeAddon()!.scanObjects;
    const bytes = Buffer.from('{"v":1}\n');
    const keys = Buffer.from('"v"');
    const keyBounds = Int32Array.of(0, 3);
    const out = new Int32Array(3).fill(7);
    expect(scan(bytes, Int32Array.of(0, 9), keys, keyBounds, out)).toBe(false);
    expect(scan(bytes, Int32Array.of(-1, 7), keys, keyBounds, out)).toBe(false);
    expect(scan(bytes, Int32Array.of(5, 2), keys, keyBounds, out)).toBe(false);
    expect(scan(bytes, Int32Array.of(0, 7, 0, 7), keys, keyBounds, out)).toBe(false); // out holds one event
    expect(scan(bytes, Int32Array.of(0, 7), keys, Int32Array.of(0, 4), out)).toBe(false);
    expect(scan(bytes, Int32Array.of(0, 7), keys, Int32Array.of(0), out)).toBe(false);
    expect([...out]).toEqual([7, 7, 7]);
    expect(scan(bytes, Int32Array.of(0, 7), keys, keyBounds, out)).toBe(true);
    expect([...out]).toEqual([1, 5, 6]);
  });

  it('is not used when turned off: each event is then read by the TypeScript alone', () => {
    useNative(false);
    const { bytes, bounds } = fileOf(['{"v":1}']);
    expect(scanEventsNatively(bytes, bounds, true)).toBeUndefined();
  });
});
