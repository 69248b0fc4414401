/** A short status word, coloured by what it means (classes in styles.css: badge-<tone>). */
export function Badge({ children, tone }: { children: string; tone?: string }) {
  return <span className={`badge badge-${tone ?? toneOf(children)}`}>{children.replace(/_/g, ' ')}</span>;
}

const TONES: Record<string, string> = {
  urgent: 'danger',
  high: 'warn',
  low: 'quiet',
  refused: 'danger',
  failed: 'danger',
  denied: 'danger',
  rejected: 'danger',
  awaiting_approval: 'warn',
  approved: 'ok',
  succeeded: 'ok',
  resolved: 'ok',
  closed: 'quiet',
  cancelled: 'quiet',
  expired: 'quiet',
};

const toneOf = (word: string) => TONES[word] ?? 'plain';
