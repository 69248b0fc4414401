import { useNow } from './use-now';

/** A value from data shown as text (strings as they are, the rest as indented JSON): never HTML. */
export function InertValue({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="muted">none</span>;
  if (typeof value === 'string') return <span className="value">{value}</span>;
  if (typeof value === 'number' || typeof value === 'boolean') return <span className="value">{String(value)}</span>;
  if (isErased(value)) return <span className="erased">[erased]</span>;
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
}

/** Personal data whose subject was erased reads `{"erased": true}` on the timeline. */
export function isErased(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { erased?: unknown }).erased === true && Object.keys(value).length === 1;
}

/** A SHA-256 in full (people compare them), in a fixed-width face that wraps. */
export function Hash({ value, label }: { value: string | null | undefined; label?: string }) {
  if (!value) return <span className="muted">none</span>;
  return (
    <code className="hash" aria-label={label}>
      {value}
    </code>
  );
}

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** A moment, relative ("3 hours ago", "in 2 days") with the exact time on hover. */
export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">never</span>;
  return <Moment at={at} />;
}

function Moment({ at }: { at: string }) {
  const now = useNow();
  const date = new Date(at);
  // The page's clock ticks every 30 s: an event that just happened can be up to a tick "ahead" of it,
  // and must read "now", not "in 7 seconds".
  const ahead = date.getTime() - now;
  const delta = ahead > 0 && ahead < 60_000 ? 0 : ahead;
  const [unit, size] = UNITS.find(([, ms]) => Math.abs(delta) >= ms) ?? ['second', 1000];
  return (
    <time dateTime={at} title={absolute.format(date)}>
      {relative.format(Math.round(delta / size), unit)}
    </time>
  );
}
