/**
 * Who acted, as people read it. Persons are named through a lookup the caller fills (the server from
 * its users table, the bundle verifier from the bundle's people.json), so the core stays pure.
 */
import type { Actor } from './event.js';

/** A person as the reader may see them. `erased`: their account was erased; the name is gone. */
export interface PersonName {
  readonly name: string;
  readonly email?: string;
  readonly erased?: boolean;
}

/** A person's name from their user id, or undefined when unknown. */
export type NameLookup = (userId: string) => PersonName | undefined;

/** What an erased person reads as, in the API and in a bundle's story. */
export const ERASED_PERSON = 'Erased person';
const UNKNOWN_PERSON = 'Unknown user';

/** The actor as presented beside an event. */
export interface PresentedActor {
  readonly kind: string;
  readonly name: string;
  readonly email?: string;
}

/** The system actors people meet on a timeline; any other id reads "Latch (<id>)". */
const SYSTEM_NAMES: Readonly<Record<string, string>> = {
  policy: 'The approval policy',
  expiry: 'The expiry timer',
  escalation: 'The escalation rules',
  sequencer: 'The log sequencer',
  cli: 'Latch (command line)',
  bootstrap: 'Latch (first start)',
  sso: 'Single sign-on',
};

/** A person's display name, never their email; "Erased person" once erased. */
export function personName(userId: unknown, names: NameLookup): string {
  if (typeof userId !== 'string') return UNKNOWN_PERSON;
  const person = names(userId);
  if (person === undefined) return UNKNOWN_PERSON;
  if (person.erased === true) return ERASED_PERSON;
  return typeof person.name === 'string' ? oneLine(person.name) || UNKNOWN_PERSON : UNKNOWN_PERSON;
}

/**
 * Any value as text, never throwing: an event's fields are whatever its JSON holds, and String() throws
 * on an object whose `toString` is not a function ({"toString": 1}).
 */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return String(value);
  return JSON.stringify(value) ?? typeof value;
}

/** The event's actor: kind, display name, and the email when the lookup gives one (the server decides who may see it). */
export function presentActor(actor: Actor | undefined, names: NameLookup): PresentedActor {
  if (actor === undefined || actor === null || typeof actor !== 'object') return { kind: 'unknown', name: 'Unknown' };
  const kind = textOf(actor.type);
  if (kind === 'user' || kind === 'token') {
    const userId = kind === 'user' ? actor.id : actor.user;
    const person = typeof userId === 'string' ? names(userId) : undefined;
    const email = person !== undefined && person.erased !== true && person.email !== undefined ? { email: person.email } : {};
    return { kind, name: personName(userId, names), ...email };
  }
  if (kind === 'system') return { kind, name: (typeof actor.id === 'string' && Object.hasOwn(SYSTEM_NAMES, actor.id) ? SYSTEM_NAMES[actor.id] : undefined) ?? `Latch (${oneLine(textOf(actor.id))})` };
  if (kind === 'plugin') return { kind, name: `Plugin ${oneLine(textOf(actor.id))}` };
  if (kind === 'intelligence') return { kind, name: 'Latch intelligence' };
  return { kind, name: oneLine(`${kind} ${textOf(actor.id)}`) };
}

/** How the actor starts a summary line: a token says it was one. */
export function actorPhrase(actor: Actor | undefined, names: NameLookup): string {
  const presented = presentActor(actor, names);
  return presented.kind === 'token' ? `${presented.name} (API token)` : presented.name;
}

/**
 * Text on one line: control characters, line breaks and bidirectional embeddings, overrides and
 * isolates (U+202A–U+202E, U+2066–U+2069, which would reorder the rest of a line on screen: a name
 * could make "USD 50.03" read "30.05 DSU") become spaces, runs of space one.
 */
export function oneLine(text: string): string {
  if (isOneLine(text)) return text;
  // eslint-disable-next-line no-control-regex -- exactly the characters a line must not hold
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\s]+/g, ' ').trim();
}

/**
 * Already as oneLine leaves it: no character the rule replaces, and single spaces between words. A
 * loop, not the rule's regular expression: most text is like this, and every event's line is
 * checked (the verifier writes a bundle's story again with it).
 */
function isOneLine(text: string): boolean {
  let previous = 0x20; // a leading space is trimmed
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 ? previous === 0x20 : c < 0x20 || (c > 0x7e && replaced(c))) return false;
    previous = c;
  }
  return previous !== 0x20; // and so is a trailing one; the empty text is left to the rule too
}

/** A character beyond ASCII that the rule replaces: U+007F–U+009F, a bidirectional embedding, override or isolate, or one that \s matches. */
function replaced(c: number): boolean {
  if (c <= 0xa0) return true;
  if (c < 0x1680) return false;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || (c >= 0x202a && c <= 0x202f) || c === 0x205f || (c >= 0x2066 && c <= 0x2069) || c === 0x3000 || c === 0xfeff;
}
