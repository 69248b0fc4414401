/**
 * Amounts in events are integers in minor units beside a currency code. This finds them and formats
 * them with the currency's own exponent (JPY 0 decimals, USD 2, BHD 3) in a fixed 'en' locale, so
 * every machine prints the same text.
 */

/** One amount found in an event's data. */
export interface PresentedAmount {
  /** Where it was found, e.g. "input.amount_minor". */
  readonly field: string;
  readonly minor: number;
  /** ISO 4217 code, upper case. */
  readonly currency: string;
  /** e.g. "USD 612.00", "JPY 5,000". */
  readonly text: string;
}

const CURRENCY = /^[A-Za-z]{3}$/;
/** Keys that hold an amount in minor units: amount_minor, refund_amount_minor, amountMinor, feeMinor. */
const MINOR_KEY = /(^|_)amount_minor$|^amountMinor$|[a-z]Minor$/;
/** How deep into data to look: inputs and typed fields are flat; anything deeper is not an amount we present. */
const MAX_DEPTH = 3;

const exponents = new Map<string, number | undefined>();

/** The currency's minor-unit exponent from ICU's currency data, or undefined for a code Intl refuses. */
function exponentOf(currency: string): number | undefined {
  if (!exponents.has(currency)) {
    let exponent: number | undefined;
    try {
      exponent = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
    } catch {
      exponent = undefined;
    }
    exponents.set(currency, exponent);
  }
  return exponents.get(currency);
}

const formatters = new Map<number, Intl.NumberFormat>();

/** One formatter per exponent: making one costs far more than formatting with it. */
function formatterFor(exponent: number): Intl.NumberFormat {
  let format = formatters.get(exponent);
  if (format === undefined) {
    format = new Intl.NumberFormat('en', { minimumFractionDigits: exponent, maximumFractionDigits: exponent, useGrouping: true });
    formatters.set(exponent, format);
  }
  return format;
}

/** "USD 612.00" for (61200, 'usd'); undefined when the currency is not one Intl knows. */
export function formatAmount(minor: number, currency: string): string | undefined {
  if (!Number.isSafeInteger(minor) || !CURRENCY.test(currency)) return undefined;
  const code = currency.toUpperCase();
  const exponent = exponentOf(code);
  if (exponent === undefined) return undefined;
  // The decimal text is built from the integer's digits, never by dividing: no float ever rounds it.
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  const decimal = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  const format = formatterFor(exponent);
  // Intl.NumberFormat formats decimal strings exactly (ECMA-402 "Intl.NumberFormat v3").
  const text = format.format(decimal as unknown as number);
  return `${code} ${minor < 0 ? '-' : ''}${text}`;
}

/** The keys in sort() order. Canonical data's are in that order already: a sort would copy them for nothing. */
function sortedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  for (let k = 1; k < keys.length; k++) if (keys[k - 1]! > keys[k]!) return keys.sort();
  return keys;
}

/** Every amount in `data`: an integer under an amount key with a `currency` beside it in the same object. */
export function findAmounts(data: unknown, path = '', depth = 0, into: PresentedAmount[] = []): PresentedAmount[] {
  if (depth > MAX_DEPTH || data === null || typeof data !== 'object' || Array.isArray(data)) return into;
  const record = data as Record<string, unknown>;
  const currency = record.currency;
  for (const key of sortedKeys(record)) {
    const value = record[key];
    const field = path === '' ? key : `${path}.${key}`;
    if (MINOR_KEY.test(key) && typeof value === 'number' && typeof currency === 'string') {
      const text = formatAmount(value, currency);
      if (text !== undefined) into.push({ field, minor: value, currency: currency.toUpperCase(), text });
    } else if (value !== null && typeof value === 'object') {
      findAmounts(value, field, depth + 1, into);
    }
  }
  return into;
}
