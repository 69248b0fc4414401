import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

// RFC 3339 allows what a JavaScript Date and a PostgreSQL timestamptz cannot hold: a leap second
// (23:59:60 parses to Invalid Date) and, through an offset, a year 0 or 10000 once in UTC.
const rfc3339 = addFormats.get('date-time') as { validate: (text: string) => boolean; compare: (a: string, b: string) => number | undefined };
const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');
const representableDateTime = {
  type: 'string',
  validate: (text: string) => {
    if (!rfc3339.validate(text)) return false;
    const time = Date.parse(text);
    return time >= FIRST_INSTANT && time <= LAST_INSTANT; // NaN (a leap second) is neither
  },
  compare: rfc3339.compare,
} as const;

/**
 * The one Ajv configuration: no coercion and no silent removal of unknown properties (a typo is
 * an error, not a dropped field), defaults applied, Latch's `x-` annotations allowed in schemas,
 * and `date-time` limited to instants a Date and the database can hold (years 1 to 9999, in UTC).
 */
export function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: true, strict: false });
  addFormats(ajv);
  ajv.addFormat('date-time', representableDateTime);
  ajv.addKeyword({ keyword: 'x-personal', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'x-label', schemaType: 'string' });
  return ajv;
}

/**
 * A validator compiled at its first call rather than when its module loads: every process loads
 * these modules (each CLI command, each test file), and compiling all of them cost ~0.5 s a start.
 */
export function compileOnFirstUse<T = unknown>(schema: object, ajv: () => Ajv = newAjv): ValidateFunction<T> {
  let compiled: ValidateFunction<T> | undefined;
  const validate = ((data: unknown): data is T => {
    compiled ??= ajv().compile<T>(schema);
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  }) as ValidateFunction<T>;
  return validate;
}
