import type { FeatureOptions } from './types.js';

/**
 * Feature keys: `w:<word>` and `w:<word> <word>` for word n-grams, `c:<gram>` for character n-grams
 * taken inside each word padded by a space (so ` car` marks a word start). The prefix keeps the two
 * namespaces apart; explanations strip it.
 */
export const WORD_PREFIX = 'w:';
export const CHAR_PREFIX = 'c:';

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;

/** Lower-cased words of a text, apostrophes dropped (so "hasn't" and "hasnt" are one word). */
export function words(text: string): string[] {
  const normalized = text.normalize('NFKC').toLowerCase();
  return Array.from(normalized.matchAll(WORD), (m) => m[0].replace(/['’]/g, ''));
}

/** Character n-grams of one word, padded by a space on each side. */
export function charGrams(word: string, [min, max]: [number, number], out: (gram: string) => void): void {
  const padded = ` ${word} `;
  for (let n = min; n <= max && n > 0; n++) {
    if (padded.length < n) {
      if (n === min) out(padded);
      break;
    }
    for (let i = 0; i + n <= padded.length; i++) out(padded.slice(i, i + n));
  }
}

export interface TextFeatures {
  /** The words of the text, in order. */
  tokens: string[];
  /** Word-block keys with their counts. */
  word: Map<string, number>;
  /** Character-block keys with their counts. */
  char: Map<string, number>;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Counts every feature of a text. */
export function extract(text: string, options: FeatureOptions): TextFeatures {
  const tokens = words(text);
  const word = new Map<string, number>();
  const char = new Map<string, number>();
  const [wMin, wMax] = options.wordNgrams;
  for (let n = Math.max(1, wMin); n <= wMax; n++) {
    for (let i = 0; i + n <= tokens.length; i++) bump(word, WORD_PREFIX + tokens.slice(i, i + n).join(' '));
  }
  if (options.charNgrams[1] > 0) for (const token of tokens) charGrams(token, options.charNgrams, (gram) => bump(char, CHAR_PREFIX + gram));
  return { tokens, word, char };
}
