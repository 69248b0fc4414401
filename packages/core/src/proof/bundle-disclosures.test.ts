import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Json } from '../canonical.js';
import { commitTo } from '../timeline/personal-data.js';
import { checkDisclosures } from './bundle-disclosures.js';
import type { EventFacts } from './bundle-events.js';
import { CheckRecorder, emptyReport, type BundleReport } from './bundle-report.js';
import { jsonValues } from './json-values.fixture.js';
import { nativeAddon, useNative } from './native-addon.js';
import { NATIVE_PATHS, sameWithoutNative } from './native-paths.fixture.js';

const SALT = '00112233445566778899aabbccddeeff';

/** disclosures.json as the builder lays it out: one entry per line, by commitment, each written as given. */
const builderLayout = (entries: ReadonlyArray<[commitment: string, salt: string, valueText: string]>): Buffer =>
  Buffer.from(`{\n${[...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([c, salt, value]) => `"${c}":{"salt":"${salt}","value":${value}}`).join(',\n')}\n}\n`);

function check(file: Buffer, committed: readonly string[]): BundleReport {
  const report = emptyReport();
  const events: EventFacts[] = [{ seq: 1, path: 'events/00000001.json', bytes: Buffer.alloc(0), hash: '', blobs: [], commitments: committed, erasure: false, erasedFiles: 0 }];
  checkDisclosures(new Map([['disclosures.json', file]]), events, new CheckRecorder('personal data', report));
  return report;
}

/** The verdicts on the file as written, and on the same content re-serialised (the general path). */
function bothPaths(file: Buffer, committed: readonly string[]): [BundleReport, BundleReport] {
  const reserialised = Buffer.from(JSON.stringify(JSON.parse(file.toString('utf8'))));
  return [check(file, committed), check(reserialised, committed)];
}

afterEach(() => useNative(true));

// Both paths: the builder layout read first by the native addon (native/disclosures.c), and in TypeScript alone.
describe.each(NATIVE_PATHS)('checkDisclosures, %s', (_path, native) => {
  beforeEach(() => useNative(native));
  const values: Json[] = ['Jane Doe', 'caf\u00e9 \u{1f600} "quoted" \\ \n', 42, -7, true, null, { b: [1, 'x'], a: { c: null } }, []];
  const commitments = values.map((v) => commitTo(v, SALT));

  it('opens every value laid out as the builder writes it, as the general path does', () => {
    const file = builderLayout(values.map((v, i) => [commitments[i]!, SALT, JSON.stringify(v)]));
    for (const report of bothPaths(file, commitments)) {
      expect(report.failures).toEqual([]);
      expect(report.checks[0]!.detail).toBe(`${values.length} disclosed values match their commitments`);
    }
  });

  it('refuses a number that is not exactly the integer JSON.parse reads it as (and opens the commitment to)', () => {
    const commitment = commitTo(5003, SALT);
    for (const written of ['5003.0000000000001', '5.0030000000000001e3', '500300000000000000001e-17']) {
      const file = Buffer.from(`{"${commitment}":{"salt":"${SALT}","value":${written}}}`);
      const report = check(file, [commitment]);
      expect(report.failures, written).toEqual([`disclosures.json: the number ${JSON.stringify(written)} is not exactly the integer JSON.parse reads it as (readers that keep every digit would show another value than the one committed to)`]);
    }
    // Written otherwise but exactly that integer: judged by its value.
    for (const written of ['5003.0', '5.003e3', '5003000e-3', '5003']) expect(check(Buffer.from(`{"${commitment}":{"salt":"${SALT}","value":${written}}}`), [commitment]).failures, written).toEqual([]);
    // Digits inside a string are text, not a number.
    const text = commitTo('5003.0', SALT);
    expect(check(Buffer.from(`{"${text}":{"salt":"${SALT}","value":"5003.0"}}`), [text]).failures).toEqual([]);
  });

  it('finds a changed value, salt or unheld commitment in the builder layout', () => {
    const file = builderLayout([
      [commitments[0]!, SALT, '"John Roe"'],
      [commitments[1]!, 'ff' + SALT.slice(2), JSON.stringify(values[1])],
      [commitTo('kept', SALT), SALT, '"kept"'],
    ]);
    for (const report of bothPaths(file, commitments)) {
      // Reported in the file's order, which is by commitment.
      expect(report.failures).toEqual(
        [
          `disclosures.json: ${commitments[0]}: value and salt do not match the commitment`,
          `disclosures.json: ${commitments[1]}: value and salt do not match the commitment`,
          `disclosures.json: ${commitTo('kept', SALT)}: no event commits to this value`,
        ].sort(),
      );
    }
  });

  it('judges a value written in non-canonical form by its JSON value, like the general path', () => {
    const object = { a: 1, b: 2 };
    const file = builderLayout([
      [commitTo(object, SALT), SALT, '{"b":2,"a":1}'],
      [commitTo(10, SALT), SALT, '1e1'],
      [commitTo('é', SALT), SALT, '"\\u00e9"'],
    ]);
    const committed = [commitTo(object, SALT), commitTo(10, SALT), commitTo('é', SALT)];
    expect(check(file, committed).failures).toEqual([]);
  });

  it('reads entries out of order as the general path does (the builder writes them in order)', () => {
    const entries = values.map((v, i): [string, string, string] => [commitments[i]!, SALT, JSON.stringify(v)]);
    const unsorted = Buffer.from(`{\n${[...entries].reverse().sort((a, b) => (a[0] < b[0] ? 1 : -1)).map(([c, salt, value]) => `"${c}":{"salt":"${salt}","value":${value}}`).join(',\n')}\n}\n`);
    for (const report of bothPaths(unsorted, commitments.slice(1))) {
      expect(report.failures).toEqual([`disclosures.json: ${commitments[0]}: no event commits to this value`]);
    }
  });

  it('tells apart commitments that share their first hex digits, as a set of them is looked up by those', () => {
    // Two values whose commitments begin with the same seven hex digits (a birthday search).
    const byPrefix = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const value = `value ${i}`;
      const prefix = commitTo(value, SALT).slice(0, 7);
      const other = byPrefix.get(prefix);
      if (other !== undefined) pair = [other, value];
      else byPrefix.set(prefix, value);
    }
    const [a, b] = pair.map((v) => commitTo(v, SALT)) as [string, string];
    expect(a.slice(0, 7)).toBe(b.slice(0, 7));
    expect(a).not.toBe(b);
    const file = builderLayout(pair.map((v): [string, string, string] => [commitTo(v, SALT), SALT, JSON.stringify(v)]));
    for (const report of bothPaths(file, [a, b])) expect(report.failures).toEqual([]);
    for (const report of bothPaths(file, [a])) expect(report.failures).toEqual([`disclosures.json: ${b}: no event commits to this value`]);
    for (const report of bothPaths(file, [b])) expect(report.failures).toEqual([`disclosures.json: ${a}: no event commits to this value`]);
    // Counted once each, however often the events hold them: both disclosed, one withheld.
    const withheld = commitTo('withheld', SALT);
    const [counted] = bothPaths(file, [a, b, a, b, withheld, withheld]);
    expect(counted.checks[0]!.detail).toBe('2 disclosed values match their commitments, 1 not disclosed');
  });

  it('refuses a repeated commitment: JSON.parse keeps the last copy, other tools show the first', () => {
    const file = builderLayout([
      [commitments[0]!, SALT, '"John Roe"'],
      [commitments[0]!, SALT, JSON.stringify(values[0])],
    ]);
    expect(check(file, [commitments[0]!]).failures).toEqual([`disclosures.json: the key "${commitments[0]}" is given twice`]);
    const reversed = builderLayout([
      [commitments[0]!, SALT, JSON.stringify(values[0])],
      [commitments[0]!, SALT, '"John Roe"'],
    ]);
    expect(check(reversed, [commitments[0]!]).failures).toEqual([`disclosures.json: the key "${commitments[0]}" is given twice`]);
  });

  it('reports malformed entries and files through the general path', () => {
    expect(check(builderLayout([[commitments[0]!, 'abc', '"x"']]), []).failures).toEqual([`disclosures.json: ${commitments[0]}: must hold exactly a hex salt and a value`]);
    expect(check(builderLayout([[commitments[0]!, SALT, '1.5']]), []).failures).toEqual([
      `disclosures.json: ${commitments[0]}: value cannot be canonicalised (floats are not allowed)`,
    ]);
    expect(check(Buffer.from('{\n"a":{"salt":"00","value":"\\ud800"}\n}\n'), []).failures).toEqual([
      'disclosures.json: a: value cannot be canonicalised (floats are not allowed)',
    ]);
    expect(check(Buffer.from('{\n"x"'), []).failures).toEqual(['disclosures.json: not JSON']);
  });
});

describe('the native first reading of disclosures.json', () => {
  /** The report with the addon, which must be the one the TypeScript alone gives. */
  const same = (file: Buffer, committed: readonly string[]): BundleReport => sameWithoutNative(() => check(file, committed));
  const value = jsonValues({ tricky: ['', 'a', '"', '\\', '\n', '\u0000', 'é', '\u2028', '\u{1F600}', '\ud800', '$pii'], numbers: [0, -1, 1e21, 1.5, 2 ** 53], stringLength: 6 });
  const entries = fc.array(fc.tuple(value, fc.uint8Array({ minLength: 1, maxLength: 16 })), { minLength: 1, maxLength: 6 });
  /** The builder's file for the entries: values written as canonicalJson writes them where it can, else as JSON.stringify does. */
  const fileOf = (list: ReadonlyArray<[unknown, Uint8Array]>): { file: Buffer; committed: string[] } => {
    const written = list.flatMap(([v, salt]): Array<[string, string, string]> => {
      const hex = Buffer.from(salt).toString('hex');
      try {
        return [[commitTo(v as Json, hex), hex, JSON.stringify(v) ?? 'null']];
      } catch {
        return []; // not canonicalisable: no commitment to write
      }
    });
    return { file: builderLayout(written), committed: written.map(([c]) => c) };
  };

  it('gives the report the TypeScript gives on files as the builder writes them', () => {
    fc.assert(
      fc.property(entries, (list) => {
        const { file, committed } = fileOf(list);
        same(file, committed);
      }),
      { numRuns: 1000 },
    );
  });

  it('and on single-character edits of them', () => {
    const edit = fc.constantFrom(' ', '0', 'f', 'g', 'A', '"', '\\', ',', ':', '{', '}', '\n', '\u0000', 'é');
    fc.assert(
      fc.property(entries, fc.nat(), edit, fc.boolean(), (list, at, insert, replace) => {
        const { file, committed } = fileOf(list);
        const text = file.toString('utf8');
        const i = at % (text.length + 1);
        same(Buffer.from(text.slice(0, i) + insert + text.slice(replace ? i + 1 : i)), committed);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads the builder layout itself, and gives up on anything else', () => {
    // Through checkDisclosures the two paths are the same by design; here the addon's own answer.
    const { file } = fileOf([['Jane', Uint8Array.of(1, 2)], [7, Uint8Array.of(3)]]);
    const read = (bytes: Buffer): number => nativeAddon()!.readDisclosures(bytes, new Int32Array(8), Buffer.alloc(bytes.length), new Int32Array(16));
    expect(read(file)).toBe(2);
    expect(read(Buffer.from(file.toString().replace('"salt"', '"salt" ')))).toBe(-1);
    expect(read(Buffer.from(file.toString().replace('}\n}\n', '}\n}')))).toBe(-1);
    expect(read(Buffer.from('{}\n'))).toBe(-1);
    expect(nativeAddon()!.readDisclosures(file, new Int32Array(1), Buffer.alloc(file.length), new Int32Array(16))).toBe(-1); // room for one entry only
  });
});
