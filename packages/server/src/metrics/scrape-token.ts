import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Whether an Authorization header carries the configured scrape token (`Bearer <token>`),
 * compared in constant time (both sides hashed first, so their lengths tell nothing either).
 */
export function isScrapeToken(header: string | undefined, configured: string | undefined): boolean {
  if (!configured || header === undefined) return false;
  const [scheme, value] = header.split(' ', 2);
  if (scheme?.toLowerCase() !== 'bearer' || !value) return false;
  return timingSafeEqual(digest(value.trim()), digest(configured));
}
