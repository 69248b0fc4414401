/**
 * Two readings of one JSON text, found in its characters: a key given twice in one object
 * (JSON.parse keeps the last copy while other tools show the first), and a number JSON.parse
 * rounds (other tools keep every digit). The verifier refuses a bundle file with either.
 */

const BACKSLASH = 0x5c;

/** Where the JSON string opened by the quote at `quote` closes: the next quote no backslash escapes. */
function stringEnd(text: string, quote: number): number {
  let end = text.indexOf('"', quote + 1);
  // A quote preceded by an odd number of backslashes is inside the string.
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/** The first key repeated within one object of `text` (which must already parse as JSON), or undefined. */
export function duplicateKey(text: string): string | undefined {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const open: Array<Set<string> | null> = [];
  let expectKey = false;
  let i = 0;
  for (;;) {
    // Structure lies between strings: jump from string to string (a manifest is mostly strings).
    const quote = text.indexOf('"', i);
    const gapEnd = quote < 0 ? text.length : quote;
    for (; i < gapEnd; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x7b) {
        open.push(new Set());
        expectKey = true;
      } else if (c === 0x5b) {
        open.push(null);
        expectKey = false;
      } else if (c === 0x7d || c === 0x5d) {
        open.pop();
        expectKey = false;
      } else if (c === 0x2c) {
        expectKey = open[open.length - 1] != null;
      }
    }
    if (quote < 0) return undefined;
    const end = stringEnd(text, quote);
    const keys = open[open.length - 1];
    if (expectKey && keys) {
      // Compare decoded keys: "a" and "\u0061" are the same key.
      const raw = text.slice(quote + 1, end);
      const key = raw.includes('\\') ? (JSON.parse(text.slice(quote, end + 1)) as string) : raw;
      if (keys.has(key)) return key;
      keys.add(key);
      expectKey = false;
    }
    i = end + 1;
  }
}

/**
 * The first number in JSON `text` (which must already parse) whose written value is not exactly the
 * integer JSON.parse reads: `5003.0000000000001` reads as 5003, while a reader that keeps every
 * digit shows another value. (`1e1` or `5003.0` is exactly the integer it reads as.) Numbers lie
 * between strings, found as duplicateKey finds structure. Undefined when there is none.
 */
export function inexactNumber(text: string): string | undefined {
  for (let i = 0; ; ) {
    const quote = text.indexOf('"', i);
    const gapEnd = quote < 0 ? text.length : quote;
    for (; i < gapEnd; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x2d && (c < 0x30 || c > 0x39)) continue;
      let end = i + 1;
      while (end < gapEnd && /[0-9eE.+-]/.test(text[end]!)) end++;
      const token = text.slice(i, end);
      if (!isExactInteger(token)) return token;
      i = end - 1;
    }
    if (quote < 0) return undefined;
    i = stringEnd(text, quote) + 1;
  }
}

/** Whether the JSON number `token` denotes exactly the safe integer JSON.parse reads it as (a fraction passes: it is refused as a float where it is used). */
function isExactInteger(token: string): boolean {
  const parts = /^-?([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(token);
  const read = Number(token);
  if (parts === null || !Number.isSafeInteger(read)) return parts !== null && !Number.isInteger(read);
  // The written value is digits × 10^exponent; without trailing zeros, an integer has exponent ≥ 0.
  let digits = `${parts[1]}${parts[2] ?? ''}`.replace(/^0+/, '');
  let exponent = Number(parts[3] ?? 0) - (parts[2]?.length ?? 0);
  if (digits === '') return read === 0;
  while (digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    exponent++;
  }
  return exponent >= 0 && exponent < 400 && `${digits}${'0'.repeat(exponent)}` === String(Math.abs(read));
}
