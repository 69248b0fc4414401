const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text PostgreSQL and canonical JSON can hold: no NUL, no lone surrogates (broken mail produces
 * both). Anything else is kept as it came; the console renders it as inert text.
 */
export function safeText(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD').replaceAll('\0', '\uFFFD');
}
