import { isUuid } from '@latch/core';
import { and, eq, exists, isNotNull, isNull, not, or, sql, type SQL } from 'drizzle-orm';
import { parse, type Filter } from 'scim2-parse-filter';
import { normaliseEmail } from '../auth/users.js';
import { scimGroupMembers, scimGroups, scimUsers, users } from '../db/schema.js';
import { ScimError } from './scim-error.js';

/** Longer filters than any identity provider sends are refused before parsing. */
const MAX_FILTER_LENGTH = 1000;

const GROUP_ATTRIBUTES = ['displayName', 'externalId', 'id', 'members[value eq "<user id>"]'];

type Compare = Extract<Filter, { compValue: unknown }>;
type Translate = (filter: Filter) => SQL;

/**
 * A SCIM filter (RFC 7644 §3.4.2.2), parsed by scim2-parse-filter, as a WHERE condition on users.
 * The comparisons identity providers send are supported (`userName eq`, `externalId eq`, `id eq`,
 * `emails.value eq`, `displayName eq`, `active eq`) with and, or, not and parentheses; anything else is
 * 400 invalidFilter naming what is supported.
 */
export function userFilter(text: string | undefined): SQL | undefined {
  return translate(text, (self) => (filter) => {
    const f = logical(filter, self);
    if (f) return f;
    const c = comparison(filter, ['userName', 'externalId', 'id', 'emails.value', 'displayName', 'active']);
    switch (c.attr) {
      case 'username':
      case 'emails.value':
      case 'emails':
        return eq(users.email, normaliseEmail(text_(c)));
      case 'externalid':
        return eq(scimUsers.externalId, text_(c));
      case 'id':
        return isUuid(text_(c).toLowerCase()) ? eq(users.id, text_(c).toLowerCase()) : sql`false`;
      case 'displayname':
        return eq(users.name, text_(c));
      default:
        return bool(c) ? isNull(users.disabledAt) : isNotNull(users.disabledAt);
    }
  });
}

/** The same for groups: `displayName eq` (without case), `externalId eq`, `id eq`, and `members[value eq "<user id>"]`. */
export function groupFilter(text: string | undefined): SQL | undefined {
  return translate(text, (self) => (filter) => {
    const f = logical(filter, self);
    if (f) return f;
    if (filter.op === '[]' && filter.attrPath.toLowerCase() === 'members') {
      const v = filter.valFilter;
      const id = v.op === 'eq' && 'compValue' in v && v.attrPath.toLowerCase() === 'value' && typeof v.compValue === 'string' ? v.compValue.toLowerCase() : undefined;
      if (id === undefined) throw unsupported(GROUP_ATTRIBUTES);
      if (!isUuid(id)) return sql`false`;
      return exists(sql`(select 1 from ${scimGroupMembers} where ${scimGroupMembers.groupId} = ${scimGroups.id} and ${scimGroupMembers.userId} = ${id})`);
    }
    const c = comparison(filter, GROUP_ATTRIBUTES);
    switch (c.attr) {
      case 'displayname':
        return sql`lower(${scimGroups.displayName}) = lower(${text_(c)})`;
      case 'externalid':
        return eq(scimGroups.externalId, text_(c));
      case 'id':
        return isUuid(text_(c).toLowerCase()) ? eq(scimGroups.id, text_(c).toLowerCase()) : sql`false`;
      default:
        throw unsupported(GROUP_ATTRIBUTES);
    }
  });
}

function translate(text: string | undefined, build: (self: Translate) => Translate): SQL | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  if (text.length > MAX_FILTER_LENGTH) throw new ScimError(400, 'SCIM_FILTER_INVALID', `The filter is longer than ${MAX_FILTER_LENGTH} characters`, 'invalidFilter');
  let parsed: Filter;
  try {
    parsed = parse(text);
  } catch (error) {
    // The parser's message names the token it stopped at (a RangeError from absurd nesting has none).
    const why = error instanceof RangeError ? 'it nests too deeply' : (error as Error).message;
    throw new ScimError(400, 'SCIM_FILTER_INVALID', `The filter is not valid SCIM filter syntax: ${why}`, 'invalidFilter');
  }
  const self: Translate = (filter) => build(self)(filter);
  return self(parsed);
}

function logical(filter: Filter, self: Translate): SQL | undefined {
  if (filter.op === 'and') return and(...filter.filters.map(self));
  if (filter.op === 'or') return or(...filter.filters.map(self));
  if (filter.op === 'not') return not(self(filter.filter));
  return undefined;
}

/** An `eq` comparison on a supported attribute (attribute names are case-insensitive, RFC 7643 §2.1). */
function comparison(filter: Filter, supported: readonly string[]): Compare & { attr: string } {
  if (filter.op !== 'eq' || !('compValue' in filter)) throw unsupported(supported);
  const attr = filter.attrPath.replace(/^urn:ietf:params:scim:schemas:core:2\.0:(User|Group):/i, '').toLowerCase();
  if (!supported.some((s) => s.toLowerCase() === attr || (attr === 'emails' && s === 'emails.value'))) throw unsupported(supported);
  return { ...filter, attr };
}

function text_(c: Compare): string {
  if (typeof c.compValue !== 'string') throw new ScimError(400, 'SCIM_FILTER_INVALID', `${c.attrPath} is compared with a string`, 'invalidFilter');
  return c.compValue;
}

function bool(c: Compare): boolean {
  if (typeof c.compValue !== 'boolean') throw new ScimError(400, 'SCIM_FILTER_INVALID', `${c.attrPath} is compared with true or false`, 'invalidFilter');
  return c.compValue;
}

function unsupported(supported: readonly string[]): ScimError {
  return new ScimError(400, 'SCIM_FILTER_UNSUPPORTED', `Latch filters with eq on ${supported.join(', ')} (joined by and, or, not)`, 'invalidFilter');
}
