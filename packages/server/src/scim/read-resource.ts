import { isUuid } from '@latch/core';
import { invalidValue } from './scim-error.js';

/** A User resource as Latch reads it from a POST, a PUT, or a PATCH applied to the current resource. */
export interface UserInput {
  readonly userName: string;
  readonly name: string;
  /** null: none; the resource's externalId after the write. */
  readonly externalId: string | null;
  /** undefined: not said (left as it is). */
  readonly active: boolean | undefined;
  readonly password: string | undefined;
}

export interface GroupInput {
  readonly displayName: string;
  readonly externalId: string | null;
  readonly memberIds: readonly string[];
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const MAX_NAME = 200;
const MAX_ID = 255;

/** Attribute names are case-insensitive (RFC 7643 §2.1), and may carry their schema's URN. */
function attribute(resource: Record<string, unknown>, name: string): unknown {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(resource)) {
    const bare = key.replace(/^urn:ietf:params:scim:schemas:core:2\.0:(User|Group):/i, '').toLowerCase();
    if (bare === wanted) return value;
  }
  return undefined;
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidValue('VALIDATION_FAILED', `${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function optionalText(value: unknown, what: string, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidValue('VALIDATION_FAILED', `${what} must be a string`);
  const trimmed = value.trim();
  if (trimmed.length > max) throw invalidValue('VALIDATION_FAILED', `${what} must be at most ${max} characters`);
  return trimmed === '' ? undefined : trimmed;
}

/** `active`: a boolean; "True"/"False" as text too, which some Entra ID tenants still send in a PATCH. */
function activeOf(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidValue('VALIDATION_FAILED', 'active must be true or false');
}

/**
 * Reads a User resource: userName (an email address: Latch accounts sign in with one), one name
 * (displayName, else name.formatted, else givenName familyName, else the userName), externalId,
 * active and password. Other attributes are ignored.
 */
export function readUserResource(body: unknown): UserInput {
  const resource = record(body, 'The User');
  const userName = optionalText(attribute(resource, 'userName'), 'userName', 320);
  if (userName === undefined) throw invalidValue('VALIDATION_FAILED', 'userName is required');
  if (!EMAIL.test(userName)) throw invalidValue('SCIM_USERNAME_NOT_EMAIL', `userName must be an email address (Latch accounts sign in with one): ${JSON.stringify(userName)}`);
  const nameValue = attribute(resource, 'name');
  const name = nameValue === undefined || nameValue === null ? {} : record(nameValue, 'name');
  const parts = [optionalText(attribute(name, 'givenName'), 'name.givenName', MAX_NAME), optionalText(attribute(name, 'familyName'), 'name.familyName', MAX_NAME)].filter((p) => p !== undefined);
  const display =
    optionalText(attribute(resource, 'displayName'), 'displayName', MAX_NAME) ??
    optionalText(attribute(name, 'formatted'), 'name.formatted', MAX_NAME) ??
    (parts.length > 0 ? parts.join(' ').slice(0, MAX_NAME) : userName.slice(0, MAX_NAME));
  const password = attribute(resource, 'password');
  if (password !== undefined && password !== null && typeof password !== 'string') throw invalidValue('VALIDATION_FAILED', 'password must be a string');
  return {
    userName,
    name: display,
    externalId: optionalText(attribute(resource, 'externalId'), 'externalId', MAX_ID) ?? null,
    active: activeOf(attribute(resource, 'active')),
    password: typeof password === 'string' ? password : undefined,
  };
}

/** Reads a Group resource: displayName, externalId and the member user ids. */
export function readGroupResource(body: unknown): GroupInput {
  const resource = record(body, 'The Group');
  const displayName = optionalText(attribute(resource, 'displayName'), 'displayName', MAX_NAME);
  if (displayName === undefined) throw invalidValue('VALIDATION_FAILED', 'displayName is required');
  const members = attribute(resource, 'members') ?? [];
  if (!Array.isArray(members)) throw invalidValue('VALIDATION_FAILED', 'members must be a list');
  const memberIds = members.map((member, i) => {
    const value = attribute(record(member, `members[${i}]`), 'value');
    const id = typeof value === 'string' ? value.toLowerCase() : '';
    if (!isUuid(id)) throw invalidValue('SCIM_MEMBER_UNKNOWN', `members[${i}].value must be the id of a Latch user: ${JSON.stringify(value)}`);
    return id;
  });
  return { displayName, externalId: optionalText(attribute(resource, 'externalId'), 'externalId', MAX_ID) ?? null, memberIds: [...new Set(memberIds)] };
}
