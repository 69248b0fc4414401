/**
 * Untrusted text (anything a bundle carries: names, ids, file names, the events' own words) made safe
 * to print for a person. Characters that could move the cursor, recolour, hide or rewrite what a
 * terminal shows, or reorder a line on screen (C0 and C1 controls, DEL, bidirectional formatting,
 * line and paragraph separators, zero-width space and byte order mark, lone surrogates) are written
 * as visible \uXXXX escapes, so the reader sees that they were there and what they were.
 */

const FORMATTING = '\\u061c\\u200b\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ufeff';
const LONE_SURROGATE = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const UNSAFE = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${FORMATTING}]|${LONE_SURROGATE}`, 'g');
/** What JSON.stringify leaves raw of those: it escapes C0 controls and lone surrogates itself. */
const UNSAFE_IN_JSON = new RegExp(`[\\u007f-\\u009f${FORMATTING}]`, 'g');

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every character that could change what a terminal shows written as a visible \uXXXX escape. */
export const inertText = (text: string): string => text.replace(UNSAFE, escape);

/**
 * JSON.stringify's text with those characters escaped too (inside JSON strings, where they can
 * only be, \uXXXX means the same character: a JSON reader gets the same value).
 */
export const inertJson = (value: unknown, space?: number): string => JSON.stringify(value, null, space).replace(UNSAFE_IN_JSON, escape);

/** At most `max` UTF-16 units of untrusted text (an ellipsis marks a cut), made inert: for quoting a submitter's words back to them or into a log. */
export const quoteUntrusted = (text: string, max: number): string => inertText(text.length > max ? `${text.slice(0, max)}…` : text);
