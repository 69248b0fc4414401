import type { SsoSettings } from './sso-settings.js';

/** What Latch reads from a provider's claims about the person signing in. */
export interface SignedInPerson {
  readonly issuer: string;
  readonly subject: string;
  readonly email: string | undefined;
  /** True only when the provider says so (`email_verified: true`); anything else is unverified. */
  readonly emailVerified: boolean;
  readonly name: string | undefined;
  /** Group names from the configured claim (a list, or one name). */
  readonly groups: readonly string[];
}

/** Reads the person from the ID token's claims merged with the userinfo answer (userinfo first where both say). */
export function personFromClaims(settings: SsoSettings, claims: Record<string, unknown>): SignedInPerson {
  const text = (value: unknown, max: number) => (typeof value === 'string' && value.trim() !== '' && value.length <= max ? value.trim() : undefined);
  const email = text(claims[settings.claims.email], 320);
  const raw = claims[settings.claims.groups];
  const groups = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((g): g is string => typeof g === 'string');
  return {
    issuer: String(claims.iss),
    subject: String(claims.sub),
    email: email !== undefined && /^[^\s@]+@[^\s@]+$/.test(email) ? email : undefined,
    emailVerified: claims.email_verified === true,
    name: text(claims[settings.claims.name], 200),
    groups,
  };
}

/** The roles and teams the configuration gives a person: the defaults plus each of their groups' grants, sorted. */
export function grantsOf(settings: SsoSettings, groups: readonly string[]): { roles: string[]; teams: string[] } {
  const roles = new Set(settings.defaults.roles);
  const teams = new Set(settings.defaults.teams);
  for (const group of groups) {
    const grant = settings.groups.get(group);
    grant?.roles.forEach((r) => roles.add(r));
    grant?.teams.forEach((t) => teams.add(t));
  }
  return { roles: [...roles].sort(), teams: [...teams].sort() };
}
