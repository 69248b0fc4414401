import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, checklistProblems, revokeProblems, checkPolicy, unknownSeparationFields, definitionProblems, durationMillis, escalationProblems, sha256Hex, UnknownCaseTypeError, type CaseTypeDefinition } from '@latch/core';
import type { ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { compileOnFirstUse, newAjv } from '../http/ajv.js';
import type { Queryable } from '../db/database.js';
import { caseTypes } from '../db/schema.js';
import { caseTypeFileSchema } from './definition-schema.js';

/** A loaded case type version with its compiled field validator. */
export interface CaseType {
  readonly definition: CaseTypeDefinition;
  readonly digest: string;
  readonly validateFields: ValidateFunction;
  /** Input validators of the actions the type allows, by `plugin.action`. */
  readonly validateInput: ReadonlyMap<string, ValidateFunction>;
  /** The file it was read from (or the database), for messages about it. */
  readonly source: string;
}

/** Every case type version known to this deployment: those on disk and those recorded in the database. */
export class CaseTypeRegistry {
  private readonly byKey = new Map<string, Map<number, CaseType>>();

  constructor(types: readonly CaseType[]) {
    for (const type of types) {
      const versions = this.byKey.get(type.definition.key) ?? new Map<number, CaseType>();
      versions.set(type.definition.version, type);
      this.byKey.set(type.definition.key, versions);
    }
  }

  /** The newest version of a case type: new cases are created under it. */
  latest(key: string): CaseType {
    const versions = this.byKey.get(key);
    if (!versions) throw new UnknownCaseTypeError(key);
    return versions.get(Math.max(...versions.keys()))!;
  }

  get(key: string, version: number): CaseType {
    const type = this.byKey.get(key)?.get(version);
    if (!type) throw new UnknownCaseTypeError(`${key}@${version}`);
    return type;
  }

  list(): CaseType[] {
    return [...this.byKey.values()].flatMap((versions) => [...versions.values()]).sort(
      (a, b) => a.definition.key.localeCompare(b.definition.key) || a.definition.version - b.definition.version,
    );
  }
}

const ajv = newAjv();
const validateFile = compileOnFirstUse(caseTypeFileSchema, () => ajv);

/** Parses and checks one case type file's content. Throws with the file name and every problem. */
export function compileCaseType(raw: unknown, source: string): CaseType {
  if (!validateFile(raw)) {
    throw new Error(`${source}: ${ajv.errorsText(validateFile.errors, { dataVar: 'caseType' })}`);
  }
  const definition = raw as unknown as CaseTypeDefinition;
  const problems = definitionProblems(definition);
  if (definition.resolveWithin !== undefined && durationMillis(definition.resolveWithin) === undefined) {
    problems.push(`resolveWithin '${definition.resolveWithin}' is not a duration like PT48H or P2D`);
  }
  for (const policy of definition.policies ?? []) problems.push(...checkPolicy(policy).map((p) => `policy ${policy.key}: ${p}`));
  problems.push(...separationFieldProblems(definition));
  problems.push(...escalationProblems(definition.escalations));
  problems.push(...checklistProblems(definition), ...(definition.actions ?? []).flatMap(revokeProblems));
  if (problems.length > 0) throw new Error(`${source}: ${problems.join('; ')}`);
  const compile = (schema: Record<string, unknown>, what: string) => {
    try {
      return ajv.compile(schema);
    } catch (error) {
      throw new Error(`${source}: ${what} is not a valid JSON Schema: ${(error as Error).message}`);
    }
  };
  const validateFields = compile(definition.fields, 'fields');
  const validateInput = new Map((definition.actions ?? []).map((a) => [`${a.plugin}.${a.action}`, compile(a.input, `input of ${a.plugin}.${a.action}`)]));
  return { definition, digest: sha256Hex(canonicalJson(definition)), validateFields, validateInput, source };
}

/** Reads every case type file (YAML or JSON) in `<configDir>/case-types`. */
export function loadCaseTypeFiles(configDir: string): CaseType[] {
  const dir = join(configDir, 'case-types');
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /\.(ya?ml|json)$/.test(name)).sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const path = join(dir, name);
    const text = readFileSync(path, 'utf8');
    return compileCaseType(name.endsWith('.json') ? JSON.parse(text) : parseYaml(text), path);
  });
}

/**
 * Records the case types on disk in the database and returns every known version. A version whose
 * content changed since it was recorded is refused: cases in flight must never change silently.
 */
export async function syncCaseTypes(db: Queryable, onDisk: readonly CaseType[]): Promise<CaseTypeRegistry> {
  if (onDisk.length > 0) {
    await db
      .insert(caseTypes)
      .values(onDisk.map((t) => ({ key: t.definition.key, version: t.definition.version, definition: t.definition, digest: t.digest })))
      .onConflictDoNothing();
  }
  const recorded = await db.select().from(caseTypes);
  const types = recorded.map((row) => {
    const disk = onDisk.find((t) => t.definition.key === row.key && t.definition.version === row.version);
    if (disk && disk.digest !== row.digest) {
      throw new Error(
        `Case type '${row.key}' version ${row.version} on disk differs from the version already in use. ` +
          `Publish the change as version ${row.version + 1} instead of editing version ${row.version}.`,
      );
    }
    return disk ?? compileCaseType(row.definition, `case type ${row.key}@${row.version} (database)`);
  });
  return new CaseTypeRegistry(types);
}

/** `notEditorsOf` must name fields of this case type: a typo would silently exclude no one. */
function separationFieldProblems(definition: CaseTypeDefinition): string[] {
  const fieldNames = Object.keys((definition.fields as { properties?: Record<string, unknown> }).properties ?? {});
  return (definition.policies ?? []).flatMap((policy) =>
    policy.steps.flatMap((step) =>
      unknownSeparationFields(step.separation, fieldNames).map((field) => `policy ${policy.key}: step '${step.name}': notEditorsOf names '${field}', which is not a field of this case type (${fieldNames.join(', ')})`),
    ),
  );
}
