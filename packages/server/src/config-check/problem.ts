/** How bad a configuration problem is: an error refuses the configuration, a warning is said and allowed. */
export type Severity = 'error' | 'warning';

/** One problem in one configuration file, where it is and how to fix it. */
export interface ConfigProblem {
  readonly file: string;
  /** 1-based; the file's first line when the problem is about the whole file. */
  readonly line: number;
  readonly col: number;
  readonly severity: Severity;
  /** A stable code, e.g. POLICY_ROLE_UNDEFINED. */
  readonly code: string;
  readonly message: string;
  /** What to change. */
  readonly hint?: string;
}

/** The result of checking a configuration directory. */
export interface ConfigReport {
  readonly dir: string;
  readonly problems: readonly ConfigProblem[];
  /** Which checks against the database ran: `skipped` says why not. */
  readonly database: 'checked' | { readonly skipped: string };
}

export const errorsOf = (report: ConfigReport): ConfigProblem[] => report.problems.filter((p) => p.severity === 'error');

/** `file:line:col: severity CODE: message`, then the hint indented on the next line. */
export function formatProblem(problem: ConfigProblem): string {
  const head = `${problem.file}:${problem.line}:${problem.col}: ${problem.severity} ${problem.code}: ${problem.message}`;
  return problem.hint ? `${head}\n    fix: ${problem.hint}` : head;
}

/** Every problem once, in file and line order, then a count. */
export function formatReport(report: ConfigReport): string {
  const lines = sortProblems(report.problems).map(formatProblem);
  const errors = report.problems.filter((p) => p.severity === 'error').length;
  const warnings = report.problems.length - errors;
  lines.push(`${report.dir}: ${errors} error(s), ${warnings} warning(s)`);
  return lines.join('\n');
}

export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.code.localeCompare(b.code));
}

/** Keeps the first of problems that say the same thing at the same place (two checks reaching one mistake). */
export function distinctProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file}\u0000${p.line}\u0000${p.col}\u0000${p.code}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
