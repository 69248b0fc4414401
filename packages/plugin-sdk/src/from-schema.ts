/**
 * The TypeScript type of values a JSON Schema accepts, for schemas written `as const`. Covers
 * what the SDK validates: object (properties, required, additionalProperties: false), array
 * (items), string, integer, number, boolean, null, enum and const. Anything it cannot read
 * becomes `unknown` rather than a guess. Optional properties are `?:`; without
 * `additionalProperties: false` an object also allows other keys (`Record<string, unknown>`).
 */
export type FromSchema<S> = S extends boolean
  ? unknown
  : S extends { readonly enum: readonly (infer E)[] }
    ? E
    : S extends { readonly const: infer C }
      ? C
      : S extends { readonly type: infer T }
        ? FromType<T, S>
        : unknown;

type FromType<T, S> = T extends readonly (infer U)[] ? FromOne<U, S> : FromOne<T, S>;

type FromOne<T, S> = T extends 'string'
  ? string
  : T extends 'integer' | 'number'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'null'
        ? null
        : T extends 'array'
          ? S extends { readonly items: infer I }
            ? FromSchema<I>[]
            : unknown[]
          : T extends 'object'
            ? FromObject<S>
            : unknown;

type RequiredKeys<S> = S extends { readonly required: readonly (infer R)[] } ? R : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type FromObject<S> = S extends { readonly properties: infer P }
  ? Simplify<
      { -readonly [K in keyof P as K extends RequiredKeys<S> ? K : never]: FromSchema<P[K]> } & {
        -readonly [K in keyof P as K extends RequiredKeys<S> ? never : K]?: FromSchema<P[K]>;
      } & (S extends { readonly additionalProperties: false } ? unknown : Record<string, unknown>)
    >
  : S extends { readonly additionalProperties: false }
    ? Record<string, never>
    : Record<string, unknown>;
