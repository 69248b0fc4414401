import { describe, expect, it } from 'vitest';
import { isStorableText, nestedDeeperThan, unstorableTextAt } from './json-body.js';

describe('nestedDeeperThan', () => {
  it('counts arrays and objects, not brackets inside strings or after escapes', () => {
    expect(nestedDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestedDeeperThan('[[[[]]]]', 3)).toBe(true);
    expect(nestedDeeperThan('{"a":{"b":[1]}}', 3)).toBe(false);
    expect(nestedDeeperThan('{"a":{"b":[{}]}}', 3)).toBe(true);
    expect(nestedDeeperThan('["[[[[[[", "\\"[[[[[["]', 1)).toBe(false);
    expect(nestedDeeperThan('["\\\\", [[]]]', 2)).toBe(true); // an escaped backslash ends, the string still closes
    expect(nestedDeeperThan('"plain"', 0)).toBe(false);
  });

  it('scans 200,000 levels without recursing', () => {
    expect(nestedDeeperThan('['.repeat(200_000), 64)).toBe(true);
  });
});

describe('storable text', () => {
  it('refuses NUL and unpaired surrogates, keeps pairs and everything else', () => {
    expect(isStorableText('plain, ünïcode, 😀 (a surrogate pair)')).toBe(true);
    expect(isStorableText('a\u0000')).toBe(false);
    expect(isStorableText('\ud83d')).toBe(false); // high without low
    expect(isStorableText('\ude00x')).toBe(false); // low without high
    expect(isStorableText('\ude00\ud83d')).toBe(false); // reversed pair
  });

  it('names the first bad value or key as a JSON Pointer', () => {
    expect(unstorableTextAt({ a: ['ok', { 'b/c': 'x\u0000' }] })).toBe('/a/1/b~1c');
    expect(unstorableTextAt({ ok: 1, ['k\u0000']: 1 })).toBe('/?');
    expect(unstorableTextAt('\ud800')).toBe('/');
    expect(unstorableTextAt({ a: [1, true, null, 'fine'] })).toBeUndefined();
  });
});
