import { dirname } from 'node:path';
import { parseIntakeConfig } from '../intake/intake-config.js';
import { intakeFileSchema } from '../intake/intake-config-schema.js';
import { compileOnFirstUse } from '../http/ajv.js';
import type { ConfigProblem } from './problem.js';
import { pointerOf, pointerPath, type YamlSource } from './yaml-source.js';

const validateFile = compileOnFirstUse(intakeFileSchema);
const HINT = 'see docs/intake.md for the file format';

/** Checks intake.yaml as the server reads it, and that every case type it names exists. */
export function checkIntakeFile(source: YamlSource | undefined, caseTypes: ReadonlySet<string>): ConfigProblem[] {
  if (!source) return [];
  const problems: ConfigProblem[] = [...source.problems];
  if (problems.length > 0) return problems;
  const raw = source.value ?? {};
  if (!validateFile(raw)) {
    for (const error of validateFile.errors ?? []) {
      const path = pointerPath(error.instancePath);
      const extra = (error.params as { additionalProperty?: string }).additionalProperty;
      const where = extra === undefined ? path : [...path, extra];
      problems.push(source.at(where, 'error', 'INTAKE_INVALID', extra === undefined ? `${pointerOf(path)} ${error.message ?? 'is invalid'}` : `${pointerOf(where)} is not a known setting here`, HINT, { key: extra !== undefined }));
    }
    return problems;
  }
  const doc = raw as { addresses?: Record<string, { type: string }>; routes?: { when: Record<string, string | undefined>; set: { type?: string } }[]; email?: { imap?: { address: string } } };
  const known = [...caseTypes].join(', ');
  for (const [address, target] of Object.entries(doc.addresses ?? {})) {
    if (!caseTypes.has(target.type)) problems.push(source.at(['addresses', address, 'type'], 'error', 'INTAKE_UNKNOWN_CASE_TYPE', `/addresses/${address}/type '${target.type}' is not a known case type`, `use one of: ${known}`));
  }
  (doc.routes ?? []).forEach((rule, i) => {
    for (const key of ['title', 'body', 'requester']) {
      const pattern = rule.when[key];
      if (pattern === undefined) continue;
      try {
        new RegExp(pattern, 'iu');
      } catch (error) {
        problems.push(source.at(['routes', i, 'when', key], 'error', 'INTAKE_INVALID', `/routes/${i}/when/${key} is not a valid regular expression: ${(error as Error).message}`, 'JavaScript regular expressions with the u flag; escape \\ in YAML double quotes'));
      }
    }
    if (rule.set.type !== undefined && !caseTypes.has(rule.set.type)) problems.push(source.at(['routes', i, 'set', 'type'], 'error', 'INTAKE_UNKNOWN_CASE_TYPE', `/routes/${i}/set/type '${rule.set.type}' is not a known case type`, `use one of: ${known}`));
  });
  if (problems.length === 0) {
    try {
      parseIntakeConfig(raw, source.file, dirname(source.file));
    } catch (failure) {
      problems.push(source.at([], 'error', 'INTAKE_INVALID', (failure as Error).message.replace(`${source.file}: `, ''), HINT));
    }
  }
  return problems;
}
