import { eq, lt } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { ssoLogins } from '../../db/schema.js';
import { hashSecret, newSecret } from '../secrets.js';

/** How long a person has at the provider before the sign-in must start again. */
export const FLOW_TTL_MS = 10 * 60_000;

/** What one sign-in carries from its start to its callback. */
export interface SsoFlow {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly returnTo: string;
}

/**
 * Records a sign-in under way; returns the secret for the browser's cookie (only its hash is kept,
 * so a copy of the table can't finish anyone's sign-in). Expired flows are swept on the way.
 */
export async function beginFlow(db: Database, flow: SsoFlow, now = new Date()): Promise<string> {
  const secret = newSecret();
  await db.write(async (tx) => {
    await tx.delete(ssoLogins).where(lt(ssoLogins.expiresAt, now));
    await tx.insert(ssoLogins).values({ idHash: hashSecret(secret), ...flow, expiresAt: new Date(now.getTime() + FLOW_TTL_MS) });
  });
  return secret;
}

/**
 * Takes the flow the browser's cookie names, once: a second callback with the same cookie (a replay,
 * a reload, a retry after a lost answer) finds nothing. Undefined when unknown or expired.
 */
export async function takeFlow(db: Database, secret: string, now = new Date()): Promise<SsoFlow | undefined> {
  const [row] = await db.write((tx) => tx.delete(ssoLogins).where(eq(ssoLogins.idHash, hashSecret(secret))).returning());
  if (!row || row.expiresAt.getTime() <= now.getTime()) return undefined;
  return { state: row.state, nonce: row.nonce, codeVerifier: row.codeVerifier, returnTo: row.returnTo };
}
