import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigProblem, Severity } from './problem.js';

/** A path into a parsed file: map keys and list indexes (a JSON pointer's segments). */
export type DocPath = readonly (string | number)[];

/**
 * One configuration file read with the `yaml` library's source ranges, so each problem can name the
 * line and column of the value (or key) it is about. JSON files parse the same way (JSON is YAML).
 */
export class YamlSource {
  readonly problems: ConfigProblem[] = [];
  /** The parsed value; undefined when the file could not be parsed. */
  readonly value: unknown;
  private readonly doc: Document | undefined;
  private readonly lines = new LineCounter();

  private constructor(
    readonly file: string,
    text: string | undefined,
  ) {
    if (text === undefined) return;
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: true });
    for (const error of this.doc.errors) {
      const [start] = error.linePos ?? [{ line: 1, col: 1 }];
      this.problems.push({
        file,
        line: start.line,
        col: start.col,
        severity: 'error',
        code: 'CONFIG_YAML_SYNTAX',
        message: `not valid YAML: ${error.message.split('\n')[0]}`,
        hint: 'fix the syntax at this line (indentation, a missing colon or quote, a duplicated key)',
      });
    }
    this.value = this.problems.length === 0 ? (this.doc.toJS({ maxAliasCount: 100 }) as unknown) : undefined;
  }

  /** Reads a file; undefined when it does not exist (other read errors are a problem of the file). */
  static read(file: string): YamlSource | undefined {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      const source = new YamlSource(file, undefined);
      source.problems.push({ file, line: 1, col: 1, severity: 'error', code: 'CONFIG_UNREADABLE', message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, hint: 'make the file readable by the user Latch runs as' });
      return source;
    }
    return new YamlSource(file, text);
  }

  /** Parses text already in hand (tests, the API). */
  static of(file: string, text: string): YamlSource {
    return new YamlSource(file, text);
  }

  /** Line and column of the node at `path` (of its key with `key: true`), or of the nearest enclosing node that exists. */
  locate(path: DocPath, { key = false } = {}): { line: number; col: number } {
    let node: unknown = this.doc?.contents;
    let found: Node | undefined = (node as Node | undefined) ?? undefined;
    for (const [i, segment] of path.entries()) {
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === String(segment));
        if (!pair) break;
        if (last && key && pair.key && typeof pair.key === 'object') {
          found = pair.key as Node;
          break;
        }
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else break;
      if (node && typeof node === 'object' && 'range' in node) found = node as Node;
      else break;
    }
    const offset = found?.range?.[0];
    if (offset === undefined) return { line: 1, col: 1 };
    return this.lines.linePos(offset);
  }

  /** A problem at `path` in this file. */
  at(path: DocPath, severity: Severity, code: string, message: string, hint?: string, options: { key?: boolean } = {}): ConfigProblem {
    return { file: this.file, ...this.locate(path, options), severity, code, message, ...(hint ? { hint } : {}) };
  }
}

/** `/a/b/0` (Ajv's instancePath) as path segments; list indexes become numbers. */
export function pointerPath(pointer: string): (string | number)[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** A JSON pointer for messages: /roles/auditor/permissions/1. */
export const pointerOf = (path: DocPath) => (path.length === 0 ? '/' : `/${path.join('/')}`);
