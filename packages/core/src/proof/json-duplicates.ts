/**
 * Finds a key given twice in one JSON object. JSON.parse keeps the last copy while other tools
 * show the first, so a bundle file with a repeated key has two readings: the verifier refuses it.
 */

const BACKSLASH = 0x5c;

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
    let end = text.indexOf('"', quote + 1);
    // A quote preceded by an odd number of backslashes is inside the string.
    for (;;) {
      let backslashes = 0;
      while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
      if (backslashes % 2 === 0) break;
      end = text.indexOf('"', end + 1);
    }
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
