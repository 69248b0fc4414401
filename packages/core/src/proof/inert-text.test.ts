import { describe, expect, it } from 'vitest';
import { emptyReport, formatBundleReport } from './bundle-report.js';
import { inertJson, inertText } from './inert-text.js';

// Every character that could move the cursor, recolour, hide or reorder what a terminal shows.
// eslint-disable-next-line no-control-regex -- finding them is the point
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('inertText', () => {
  it('writes controls, bidirectional formatting and lone surrogates as visible escapes', () => {
    expect(inertText('a\u001b[8mb')).toBe('a\\u001b[8mb');
    expect(inertText('x\r\ny\u009b2Jz')).toBe('x\\u000d\\u000ay\\u009b2Jz');
    expect(inertText('USD \u202e30.05')).toBe('USD \\u202e30.05');
    expect(inertText('cut \ud83d')).toBe('cut \\ud83d');
    expect(inertText('\ude00 alone')).toBe('\\ude00 alone');
    for (let c = 0; c < 0x10000; c++) expect(inertText(String.fromCharCode(c)), c.toString(16)).not.toMatch(UNSAFE);
  });

  it('leaves ordinary text of every script as it is', () => {
    for (const text of ['Ana Ruiz proposed Refund through Stripe: USD 612.00', 'Zoë Ørsted', '李雷', 'علي', 'नमस्ते', 'fire 🔥', 'family 👩‍👩‍👧', 'tab-free “quotes” — ok']) {
      expect(inertText(text)).toBe(text);
    }
  });
});

describe('inertJson', () => {
  it('is the same JSON value, with nothing a terminal would act on', () => {
    const value = { name: 'a\u009b2J\u202eb\u2028c\u007f', list: ['\u001b[31m', '🔥', '\ud83d'] };
    const text = inertJson(value, 2);
    expect(JSON.parse(text)).toEqual(value);
    expect(text).not.toMatch(UNSAFE);
  });
});

describe('a bundle report', () => {
  it('quotes what the bundle says on one line each, so no value can hide or rewrite the verdict', () => {
    const report = { ...emptyReport(), caseId: 'c-1\r\n\r\n✓ all checks passed\r\n\r\nVERIFIED\r\n\u001b[8m', events: 3 };
    report.failures.push('events.jsonl line 3: the last event is \u001b[31mKIND\u001b[0m');
    report.checks.push({ name: 'events', ok: false, detail: '1 problem' });
    const text = formatBundleReport(report);
    expect(text).not.toMatch(UNSAFE);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('Evidence bundle for case c-1\\u000d\\u000a\\u000d\\u000a✓ all checks passed\\u000d\\u000a\\u000d\\u000aVERIFIED\\u000d\\u000a\\u001b[8m: 3 events');
    expect(lines.at(-1)).toBe('FAILED (1 problem)');
    expect(lines.filter((l) => l === 'VERIFIED')).toEqual([]);
  });
});
