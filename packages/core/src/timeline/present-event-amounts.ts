/**
 * Amounts in events are integers in minor units beside a currency code. This finds them and formats
 * them with the currency's own exponent (JPY 0 decimals, USD 2, BHD 3) and 'en' digit grouping, so
 * every machine prints the same text.
 *
 * The exponents are a table here rather than asked of Intl at run time: ICU's currency data changes
 * between versions (ICU 78.2 gives HUF, COP and IDR 0 digits, which ISO 4217 gives 2), and a story
 * written on one machine must verify on another whatever ICU it was built with. The table is what
 * ICU 78.2 (Node 20.20) gave for 'en', the exponents every story so far was written with. Not asking
 * Intl also spares a process ICU's start-up (about 20 ms, which `latch verify` paid on every run).
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

/** Every currency whose exponent is not 2, as ICU 78.2 gives them for 'en' (every other code of three letters: 2). */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  ADP: 0, AFN: 0, ALL: 0, BHD: 3, BIF: 0, BYR: 0, CLF: 4, CLP: 0, COP: 0, DJF: 0, ESP: 0, GNF: 0, HUF: 0, IDR: 0,
  IQD: 0, IRR: 0, ISK: 0, ITL: 0, JOD: 3, JPY: 0, KMF: 0, KPW: 0, KRW: 0, KWD: 3, LAK: 0, LBP: 0, LUF: 0, LYD: 3,
  MGA: 0, MGF: 0, MMK: 0, MRO: 0, OMR: 3, PKR: 0, PYG: 0, RWF: 0, SLL: 0, SOS: 0, STD: 0, SYP: 0, TMM: 0, TND: 3,
  TRL: 0, UGX: 0, UYI: 0, UYW: 4, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0, YER: 0, ZMK: 0, ZWD: 0,
});

/** The currency's minor-unit exponent (an upper-case code of three letters). */
function exponentOf(code: string): number {
  return Object.hasOwn(CURRENCY_EXPONENTS, code) ? CURRENCY_EXPONENTS[code]! : 2;
}

/** "1234567" → "1,234,567": 'en' grouping of a run of digits. */
function grouped(digits: string): string {
  const head = digits.length % 3 || 3;
  let text = digits.slice(0, head);
  for (let i = head; i < digits.length; i += 3) text += `,${digits.slice(i, i + 3)}`;
  return text;
}

/** "USD 612.00" for (61200, 'usd'); undefined when the amount is not a safe integer or the code not three letters. */
export function formatAmount(minor: number, currency: string): string | undefined {
  if (!Number.isSafeInteger(minor) || !CURRENCY.test(currency)) return undefined;
  const code = currency.toUpperCase();
  const exponent = exponentOf(code);
  // The decimal text is built from the integer's digits, never by dividing: no float ever rounds it.
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  const text = exponent === 0 ? grouped(digits) : `${grouped(digits.slice(0, -exponent))}.${digits.slice(-exponent)}`;
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
    // The field's path is written only for an amount or an object to look into: most keys are neither.
    // The key's pattern last: most values are not numbers beside a currency, and a pattern costs more.
    if (typeof value === 'number' && typeof currency === 'string' && MINOR_KEY.test(key)) {
      const text = formatAmount(value, currency);
      if (text !== undefined) into.push({ field: path === '' ? key : `${path}.${key}`, minor: value, currency: currency.toUpperCase(), text });
    } else if (value !== null && typeof value === 'object') {
      findAmounts(value, path === '' ? key : `${path}.${key}`, depth + 1, into);
    }
  }
  return into;
}
