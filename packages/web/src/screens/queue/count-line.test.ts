import { describe, expect, it } from 'vitest';
import { countLine } from './count-line';

describe('the queue count line', () => {
  it('says how many match, and how many are loaded when there are more pages', () => {
    expect(countLine({ count: 1, more: false }, 1, false)).toBe('1 case matches');
    expect(countLine({ count: 0, more: false }, 0, false)).toBe('0 cases match');
    expect(countLine({ count: 1234, more: false }, 50, true)).toBe('1,234 cases match · 50 shown, more below');
  });

  it('says "10,000+" past the server’s cap', () => {
    expect(countLine({ count: 10_000, more: true }, 100, true)).toBe('10,000+ cases match · 100 shown, more below');
  });

  it('falls back to the loaded rows until the count arrives', () => {
    expect(countLine(undefined, 50, true)).toBe('50 shown, more below');
    expect(countLine(undefined, 3, false)).toBe('3 shown');
  });
});
