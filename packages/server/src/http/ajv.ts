import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/**
 * The one Ajv configuration: no coercion and no silent removal of unknown properties (a typo is
 * an error, not a dropped field), defaults applied, Latch's `x-` annotations allowed in schemas.
 */
export function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: true, strict: false });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'x-personal', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'x-label', schemaType: 'string' });
  return ajv;
}
