import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../canonical.js';
import { CanonicalObjectReader, isCanonicalJson } from './canonical-scan.js';
import { jsonValues } from './json-values.fixture.js';

/** The definition: bytes are canonical when canonicalJson reproduces them from their parsed value. */
function oracle(bytes: Buffer): boolean {
  if (!isUtf8(bytes)) return false;
  const text = bytes.toString('utf8');
  try {
    return canonicalJson(JSON.parse(text)) === text;
  } catch {
    return false;
  }
}

const canonical = (text: string): boolean => isCanonicalJson(Buffer.from(text));

const controls = Array.from({ length: 32 }, (_, c) => String.fromCharCode(c));
const trickyStrings = [
  '', 'a', 'B', 'aa', '"', '\\', '/', '</script>', ...controls, '\u007f', '\u0080', 'é', 'e\u0301', '\u2028', '\u2029',
  '\u{1F600}', '\u{10000}', '\uffff', '\ufffd', '\ud7ff', '\ue000', '10', '9', '1', '__proto__', 'toJSON', 'constructor', '$pii',
];

describe('isCanonicalJson', () => {
  it('accepts canonicalJson output for tricky strings, as values and as keys', () => {
    for (const s of trickyStrings) {
      expect(canonical(canonicalJson(s))).toBe(true);
      expect(canonical(canonicalJson({ [s]: s, z: [s] }))).toBe(true);
    }
    // All tricky keys in one object: sorted in UTF-16 code unit order ('\u{1F600}' before '\uffff').
    const all = Object.fromEntries(trickyStrings.map((s, i) => [s, i]));
    expect(canonical(canonicalJson(all))).toBe(true);
  });

  it('accepts numbers exactly as canonicalJson writes them', () => {
    for (const n of [0, 1, -1, 10, 123456789, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
      expect(canonical(canonicalJson({ n }))).toBe(true);
    }
  });

  const rejected: Array<[string, string | Buffer]> = [
    ['white space', '{"a": 1}'],
    ['a trailing newline', '{"a":1}\n'],
    ['unsorted keys', '{"b":1,"a":2}'],
    ['a key before its prefix', '{"ab":1,"a":2}'],
    ['integer-like keys in numeric order', '{"9":1,"10":2}'],
    ['an astral key after U+FFFF (code point order, not UTF-16)', '{"\uffff":1,"\u{1F600}":2}'],
    ['escaped keys out of order', '{"\\n":1,"\\b":2}'],
    ['a duplicate key', '{"a":1,"a":2}'],
    ['an escaped slash', '"\\/"'],
    ['an unnecessary \\u escape', '"\\u0041"'],
    ['an upper-case \\u escape', '"\\u001F"'],
    ['a \\u escape for a short-escaped control', '"\\u000a"'],
    ['an escaped lone surrogate', '"\\ud800"'],
    ['an escaped surrogate pair', '"\\ud83d\\ude00"'],
    ['a raw control character', '"\u0001"'],
    ['invalid UTF-8', Buffer.from([0x22, 0xff, 0x22])],
    ['an encoded surrogate (CESU-8)', Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])],
    ['negative zero', '-0'],
    ['a leading zero', '01'],
    ['a fraction', '1.0'],
    ['an exponent', '1e3'],
    ['an unsafe integer', '9007199254740992'],
    ['a plus sign', '+1'],
    ['an unterminated string', '"abc'],
    ['an unterminated escape', '"\\'],
    ['a truncated \\u escape', '"\\u00'],
    ['a trailing comma', '[1,]'],
    ['an empty text', ''],
    ['two values', '1 2'],
    ['a truncated literal', 'nul'],
  ];
  it.each(rejected)('rejects %s', (_name, text) => {
    const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
    expect(oracle(bytes)).toBe(false);
    expect(isCanonicalJson(bytes)).toBe(false);
  });

  it('accepts what canonicalJson accepts among near misses', () => {
    const texts = ['{"10":2,"9":1}', '{"\u{1F600}":2,"\uffff":1}', '{"\\b":2,"\\n":1}', '{"a":2,"ab":1}', '"\\u001f"', '"\\n"', '"\u{1F600}"', '[]', '{}', '[{}]'];
    for (const text of texts) {
      expect(oracle(Buffer.from(text))).toBe(true);
      expect(canonical(text)).toBe(true);
    }
  });

  it('accepts a Uint8Array that is not a Buffer', () => {
    expect(isCanonicalJson(new TextEncoder().encode('{"a":[1,true,null]}'))).toBe(true);
  });

  it('does not overflow on deep nesting', () => {
    expect(canonical('['.repeat(1_000_000))).toBe(false);
  });
});

describe('isCanonicalJson agrees with canonicalJson on generated texts', () => {
  const value = jsonValues({ tricky: [...trickyStrings, '\ud83d', '\ude00'], numbers: [0, -0, 1.5, 2 ** 53, 1e21, -1e-7], stringLength: 5 });
  const serialisations = (v: unknown): string[] => {
    const texts = [JSON.stringify(v), JSON.stringify(v, null, 1)];
    try {
      texts.push(canonicalJson(v));
    } catch {
      // not hashable: the other serialisations still exercise the scanner
    }
    return texts;
  };

  it('for canonical and plain serialisations of arbitrary values', () => {
    fc.assert(
      fc.property(value, (v) => {
        for (const text of serialisations(v)) {
          const bytes = Buffer.from(text);
          expect(isCanonicalJson(bytes)).toBe(oracle(bytes));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('for single-character edits of those texts', () => {
    const edit = fc.constantFrom(' ', '0', '1', '-', '.', 'e', '\\', '"', 'a', ',', ':', '}', ']', '\\u0041', '\\ud800', '\u0000', 'é', '\u{1F600}');
    fc.assert(
      fc.property(value, fc.nat(), edit, fc.boolean(), (v, at, insert, replace) => {
        for (const text of serialisations(v)) {
          const i = at % (text.length + 1);
          const bytes = Buffer.from(text.slice(0, i) + insert + text.slice(replace ? i + 1 : i));
          expect(isCanonicalJson(bytes)).toBe(oracle(bytes));
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('CanonicalObjectReader reads in step with its keys as the general reading does', () => {
  // Keys in canonical order take the in-step reading; the same keys in another order take only the
  // general one. Both must give the same verdict, spans and unexpected keys, on canonical objects of
  // those keys and others, on plain serialisations, and on single-character edits of them.
  const keys = ['a', 'at', 'b', 'bb', 'bc', 'c', 'missing'];
  const inStep = new CanonicalObjectReader(keys);
  const general = new CanonicalObjectReader([...keys].reverse());
  const member = fc.constantFrom(...keys, 'a\n', 'aa', 'zz', 'é', '');
  const flat = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 4 }), fc.array(fc.integer(), { maxLength: 2 }));
  const object = fc.dictionary(member, fc.oneof(flat, fc.dictionary(member, flat, { maxKeys: 2 })), { maxKeys: 6 });
  const byName = (reader: CanonicalObjectReader, names: readonly string[], bytes: Buffer): unknown => {
    const scan = reader.read(bytes);
    if (scan === undefined) return undefined;
    return { spans: Object.fromEntries(names.map((name, i) => [name, [scan.start[i], scan.end[i]]])), unexpected: [...scan.unexpected] };
  };
  const same = (bytes: Buffer): void => {
    const expected = byName(general, [...keys].reverse(), bytes);
    expect(byName(inStep, keys, bytes)).toEqual(expected);
    expect(expected !== undefined).toBe(oracle(bytes) && bytes[0] === 0x7b);
  };

  it('on objects and their serialisations', () => {
    fc.assert(
      fc.property(object, (o) => {
        for (const text of [canonicalJson(o), JSON.stringify(o), JSON.stringify(o, null, 1)]) same(Buffer.from(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('on single-character edits of them', () => {
    const edit = fc.constantFrom(' ', '0', '"', 'a', 't', ',', ':', '{', '}', '\\u0061', 'é');
    fc.assert(
      fc.property(object, fc.nat(), edit, fc.boolean(), (o, at, insert, replace) => {
        const text = canonicalJson(o);
        const i = at % (text.length + 1);
        same(Buffer.from(text.slice(0, i) + insert + text.slice(replace ? i + 1 : i)));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('CanonicalObjectReader', () => {
  // 'bb' and 'bc' share a length and first letter: the reader must still tell them apart.
  const reader = new CanonicalObjectReader(['a', 'b', 'c', 'missing', 'bb', 'bc']);
  const text = canonicalJson({ b: [1, { y: 'x', x: null }], a: 'q"uote', 'k\n': true, c: { $pii: 'ab' }, bc: 2 });
  const bytes = Buffer.from(text);

  it('locates the top-level members and names unexpected ones', () => {
    const scan = reader.read(bytes)!;
    const raw = [...scan.start].map((start, i) => (start < 0 ? undefined : bytes.toString('utf8', start, scan.end[i])));
    expect(raw).toEqual(['"q\\"uote"', '[1,{"x":null,"y":"x"}]', '{"$pii":"ab"}', undefined, undefined, '2']);
    expect(scan.unexpected).toEqual(['k\n']);
  });

  it('rejects non-objects and non-canonical objects', () => {
    expect(reader.read(Buffer.from('[1]'))).toBeUndefined();
    expect(reader.read(Buffer.from('"a"'))).toBeUndefined();
    expect(reader.read(Buffer.from('{"b":1,"a":2}'))).toBeUndefined();
    expect(reader.read(Buffer.from('{"a":1} '))).toBeUndefined();
  });
});
