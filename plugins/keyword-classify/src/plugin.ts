import { readFileSync } from 'node:fs';
import { definePlugin, type ClassifyChoice, type ClassifyEvidence, type Manifest } from '@latch/plugin-sdk';

// The manifest file is the source of truth (the host reads it too); read it next to dist/.
const manifest = JSON.parse(readFileSync(new URL('../latch-plugin.json', import.meta.url), 'utf8')) as Manifest;

const URGENT = new Set(['urgent', 'asap', 'immediately', 'emergency', 'critical', 'outage', 'down']);
const HIGH_PRIORITIES = ['urgent', 'critical', 'high'];

/** Lower-case words of a text; `charged_twice` and `Charged twice!` read alike. */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The words that point at a case type: its key, title, intents and the configured keywords. */
function vocabulary(choice: ClassifyChoice, keywords: Readonly<Record<string, readonly string[]>>): Set<string> {
  return new Set([choice.key, choice.title, ...(choice.intents ?? []), ...(keywords[choice.key] ?? [])].flatMap(wordsOf).filter((w) => w.length > 2));
}

function keywordsOf(config: Readonly<Record<string, unknown>>): Record<string, string[]> {
  const value = config.keywords ?? {};
  const ok = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((list) => Array.isArray(list) && list.every((w) => typeof w === 'string'));
  if (!ok) throw new Error('keywords must map case types to lists of words, like {"refund": ["charged", "money back"]}');
  return value as Record<string, string[]>;
}

/**
 * The keyword classifier. The case text is data: it is only counted, never obeyed, and whatever it
 * says the answer names only offered choices (the SDK refuses any other).
 */
export const plugin = definePlugin({
  manifest,
  actions: {},
  configure(config) {
    keywordsOf(config);
  },
  classify({ text, caseTypes, config }) {
    const words = wordsOf(text);
    const keywords = keywordsOf(config);
    const scored = caseTypes
      .map((choice) => {
        const vocab = vocabulary(choice, keywords);
        const hits = words.filter((w) => vocab.has(w));
        return { choice, hits };
      })
      .sort((a, b) => b.hits.length - a.hits.length);
    const [best, second] = scored;
    const model = { id: 'keyword-classify', version: manifest.version };
    // Nothing matched, or a tie: "no suggestion" rather than a guess.
    if (!best || best.hits.length === 0 || best.hits.length === second?.hits.length) return { confidence: 0, model };
    const { choice, hits } = best;
    const urgent = words.filter((w) => URGENT.has(w));
    const priority = urgent.length > 0 ? HIGH_PRIORITIES.find((p) => choice.priorities.includes(p)) : undefined;
    const intent = choice.intents?.find((i) => wordsOf(i).every((w) => words.includes(w)));
    const counts = new Map<string, number>();
    for (const w of [...hits, ...urgent]) counts.set(w, (counts.get(w) ?? 0) + 1);
    const explanation: ClassifyEvidence[] = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([feature, weight]) => ({ feature, weight }));
    return {
      caseType: choice.key,
      ...(choice.queues.length === 1 ? { queue: choice.queues[0] } : {}),
      ...(priority ? { priority } : {}),
      ...(intent ? { intent } : {}),
      confidence: Math.round((hits.length / (hits.length + (second?.hits.length ?? 0) + 1)) * 1000) / 1000,
      explanation,
      model,
    };
  },
});
