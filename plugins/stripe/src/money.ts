// Stripe amounts are in the currency's minor unit; most currencies have two decimals.
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Formats a minor-unit amount for people: `formatMinor(60000, 'usd')` is "600.00 USD". */
export function formatMinor(amount: number, currency: string): string {
  const c = currency.toLowerCase();
  const decimals = ZERO_DECIMAL.has(c) ? 0 : THREE_DECIMAL.has(c) ? 3 : 2;
  return `${(amount / 10 ** decimals).toFixed(decimals)} ${c.toUpperCase()}`;
}
