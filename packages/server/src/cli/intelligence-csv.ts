import { readFileSync, statSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { TrainingExample } from '../intelligence/classifier/index.js';
import { CliError } from './cli-error.js';

const invalid = (file: string, why: string) => new CliError(`CSV_INVALID: ${file}: ${why}`, 1, 'CSV_INVALID');

/** Reads labelled examples from a CSV with a header naming `text` and `category` (BANKING77's format); any other columns are ignored. */
export function readLabelledCsv(file: string): TrainingExample[] {
  let bytes: Buffer;
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    bytes = readFileSync(file);
  } catch {
    throw new CliError(`CSV_NOT_FOUND: no readable file at ${file}`, 1, 'CSV_NOT_FOUND');
  }
  let rows: string[][];
  try {
    rows = parse(bytes, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (error) {
    throw invalid(file, (error as Error).message.replace(/\s+/g, ' '));
  }
  const header = rows[0]?.map((name) => name.trim().toLowerCase()) ?? [];
  const textColumn = header.indexOf('text');
  const labelColumn = header.indexOf('category');
  if (textColumn < 0 || labelColumn < 0) throw invalid(file, 'the first row must name the columns text and category');
  if (rows.length < 2) throw invalid(file, 'no examples after the header');
  return rows.slice(1).map((row, i) => {
    const label = row[labelColumn]?.trim() ?? '';
    if (label === '') throw invalid(file, `row ${i + 2}: the category is empty`);
    return { text: row[textColumn] ?? '', label };
  });
}
