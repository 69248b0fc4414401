export declare const HEADER: string;
/** The TypeScript declarations of an OpenAPI document, as committed in src/api/schema.d.ts. */
export declare function apiTypesFor(document: unknown): Promise<string>;
