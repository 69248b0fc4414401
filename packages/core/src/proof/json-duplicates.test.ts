import { describe, expect, it } from 'vitest';
import { duplicateKey } from './json-duplicates.js';

describe('duplicateKey', () => {
  it('finds a key given twice in one object, at any depth, after decoding escapes', () => {
    expect(duplicateKey('{"a":1,"b":2,"a":3}')).toBe('a');
    expect(duplicateKey('{"x":{"files":{"p":"1","q":"2","p":"3"}}}')).toBe('p');
    expect(duplicateKey('[{"k":1},{"k":2,"j":[1,{"k":3,"k":4}]}]')).toBe('k');
    expect(duplicateKey('{"a":1,"\\u0061":2}')).toBe('a');
    expect(duplicateKey('{ "a" : "b" ,\n "a" : null }')).toBe('a');
  });

  it('passes keys repeated only across objects, and strings that look like keys', () => {
    expect(duplicateKey('{"a":{"a":1},"b":{"a":2}}')).toBeUndefined();
    expect(duplicateKey('{"a":"a","b":["a","a"],"c":"\\"a\\",\\"a\\""}')).toBeUndefined();
    expect(duplicateKey('[{"a":1},{"a":1}]')).toBeUndefined();
    expect(duplicateKey('"just a string"')).toBeUndefined();
  });
});

describe('duplicateKey on escapes', () => {
  it('tells an escaped quote from the end of a string, and an escaped backslash from an escape', () => {
    expect(duplicateKey('{"a\\"b":1,"a\\"b":2}')).toBe('a"b');
    expect(duplicateKey('{"a\\\\":1,"b":"\\\\","a\\\\":2}')).toBe('a\\');
    expect(duplicateKey('{"x":"\\\\\\"{\\"a\\":1,\\"a\\":2}"}')).toBeUndefined();
  });
});
