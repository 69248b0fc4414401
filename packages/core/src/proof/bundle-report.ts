/** The outcome of `verifyBundle`, and its rendering for people. */
import { inertText } from './inert-text.js';

export interface BundleCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface BundleReport {
  ok: boolean;
  caseId?: string;
  /** Event files checked. */
  events: number;
  checkpoint?: { origin: string; size: number; signedBy: string[] };
  checks: BundleCheck[];
  /** Each names the file or event and the problem, e.g. "events/00000007.json: previous-hash link is broken". */
  failures: string[];
  /** Facts an auditor should know that are not failures, e.g. erased attachments. */
  notices: string[];
}

/**
 * At most this many problems of one check are kept, the rest counted: a forged bundle can hold
 * millions of bad lines, and the report must stay small enough to read and to keep in memory.
 */
export const MAX_LISTED_PROBLEMS = 1000;

/** Collects one named check's problems; `pass` or the first problem decides how it reads. */
export class CheckRecorder {
  #problems = 0;

  constructor(
    readonly name: string,
    private readonly report: BundleReport,
  ) {}

  get failed(): boolean {
    return this.#problems > 0;
  }

  fail(problem: string): void {
    if (++this.#problems <= MAX_LISTED_PROBLEMS) this.report.failures.push(problem);
  }

  notice(text: string): void {
    this.report.notices.push(text);
  }

  /** Records the check: `detail` describes success; a failed check says how many problems it found. */
  finish(detail: string): void {
    const unlisted = this.#problems - MAX_LISTED_PROBLEMS;
    if (unlisted > 0) this.report.failures.push(`${this.name}: ${unlisted} more problems, not listed one by one`);
    const ok = this.#problems === 0;
    const problems = `${this.#problems} problem${this.#problems === 1 ? '' : 's'}`;
    this.report.checks.push({ name: this.name, ok, detail: ok ? detail : problems });
  }

  /** Records a check that could not run because an earlier one failed. */
  skip(reason: string): void {
    this.report.checks.push({ name: this.name, ok: false, detail: `not checked: ${reason}` });
  }
}

/** A report with no checks yet. */
export function emptyReport(): BundleReport {
  return { ok: false, events: 0, checks: [], failures: [], notices: [] };
}

/** At most this many failures are printed; the rest are counted. */
const MAX_PRINTED_FAILURES = 100;

/** Renders the report: one line per check (✓/✗), the problems, notices, then the verdict. */
export function formatBundleReport(report: BundleReport): string {
  const lines: string[] = [];
  lines.push(`Evidence bundle for case ${report.caseId ?? '(unknown)'}: ${report.events} events`);
  if (report.checkpoint !== undefined) {
    const { origin, size, signedBy } = report.checkpoint;
    const signers = signedBy.length > 0 ? `signed by ${signedBy.join(', ')}` : 'no trusted signature';
    lines.push(`Log ${origin}, tree size ${size}, ${signers}`);
  }
  lines.push('');
  const width = Math.max(...report.checks.map((c) => c.name.length), 0);
  for (const check of report.checks) lines.push(`${check.ok ? '✓' : '✗'} ${check.name.padEnd(width)}  ${check.detail}`);
  if (report.failures.length > 0) {
    lines.push('', 'Problems:');
    for (const failure of report.failures.slice(0, MAX_PRINTED_FAILURES)) lines.push(`  - ${failure}`);
    const hidden = report.failures.length - MAX_PRINTED_FAILURES;
    if (hidden > 0) lines.push(`  … and ${hidden} more`);
  }
  if (report.notices.length > 0) {
    lines.push('', 'Notices:');
    for (const notice of report.notices) lines.push(`  - ${notice}`);
  }
  const n = report.failures.length;
  lines.push('', report.ok ? 'VERIFIED' : `FAILED (${n} problem${n === 1 ? '' : 's'})`);
  // Every line quotes what the bundle says (its case id, file names, keys): none may hide or rewrite the verdict.
  return `${lines.map(inertText).join('\n')}\n`;
}
