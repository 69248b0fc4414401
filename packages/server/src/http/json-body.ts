import { LatchError } from '@latch/core';
import type { FastifyInstance } from 'fastify';

/** The deepest nesting of arrays and objects a JSON body may have (the top-level value counts as 1). */
export const MAX_JSON_DEPTH = 64;

/**
 * Request text is checked once, at the edge, for what the store cannot hold: PostgreSQL text
 * refuses NUL (U+0000), a lone UTF-16 surrogate has no UTF-8 form and breaks canonical JSON, and
 * nesting thousands deep overflows the stack of every recursive walker after the parser (schema
 * validation, canonicalisation). Each is a 400 VALIDATION_FAILED naming where it was found, in the
 * shape of the schema validation errors: `details: {context, errors: [{path, message}]}`.
 *
 * JSON bodies get a parser of their own (Fastify's, with the prototype-poisoning checks, behind a
 * depth scan that never recurses); path parameters, the query string and headers are checked
 * before validation, so after authentication (which runs at onRequest).
 */
export function installJsonBody(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
      done(refusal('body', '/', `must not nest arrays and objects more than ${MAX_JSON_DEPTH} deep`), undefined);
      return;
    }
    parseJson(request, text, (error, value) => {
      if (error) return done(error, undefined);
      const path = unstorableTextAt(value);
      if (path !== undefined) return done(refusal('body', path, UNSTORABLE), undefined);
      done(null, value);
    });
  });

  app.addHook('preValidation', async (request) => {
    for (const [context, values] of [
      ['params', request.params],
      ['querystring', request.query],
      ['headers', request.headers],
    ] as const) {
      const path = unstorableTextAt(values);
      if (path !== undefined) throw refusal(context, path, UNSTORABLE);
    }
  });
}

const UNSTORABLE = 'must not contain NUL characters (U+0000) or unpaired UTF-16 surrogates';

function refusal(context: string, path: string, message: string): LatchError {
  return new LatchError('VALIDATION_FAILED', `The request ${context} is invalid: ${context}${path === '/' ? '' : path} ${message}`, {
    context,
    errors: [{ path, message }],
  });
}

/**
 * True when arrays and objects in the JSON text nest deeper than `max`: a linear scan over
 * brackets outside strings, so it cannot itself overflow. Malformed text is left to the parser.
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character, a quote included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

// NUL, or a UTF-16 surrogate without its other half (no `u` flag: the regex sees code units).
// eslint-disable-next-line no-control-regex -- NUL is exactly what is refused
const UNSTORABLE_CHAR = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string can be stored and canonicalised: no NUL and no lone surrogate. */
export function isStorableText(text: string): boolean {
  return !UNSTORABLE_CHAR.test(text);
}

/**
 * The JSON Pointer of the first string (value or key) in `value` that is not storable text, or
 * undefined. Called on parsed JSON (depth already bounded) and on Fastify's params, query and headers.
 */
export function unstorableTextAt(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : path || '/';
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableTextAt(value[i], `${path}/${i}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const here = `${path}/${pointerToken(isStorableText(key) ? key : '?')}`;
    if (!isStorableText(key)) return here;
    const found = unstorableTextAt(item, here);
    if (found !== undefined) return found;
  }
  return undefined;
}

// The key itself may be what is refused: it is named by a placeholder, never echoed with a NUL in it.
const pointerToken = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
