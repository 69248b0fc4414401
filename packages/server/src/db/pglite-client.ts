import { types, type PGlite, type Transaction } from '@electric-sql/pglite';

type Parsers = Record<number, (value: string, typeId?: number) => unknown>;
type QueryOptions = { readonly parsers?: Parsers } & Record<string, unknown>;

// Drizzle's PGlite driver hands its own parsers to every query (these types as text, which Drizzle
// maps itself), and PGlite merges any parsers given into its table of ~300 (one per type and array
// type) on each query: about 80 µs a query, a tenth of an email intake's CPU.
const TEXT_TYPES = [types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE, 1231, 1115, 1185, 1187, 1182];
/** The array types among them, with their element types (numeric[], timestamp[], timestamptz[], interval[], date[]). */
const ELEMENT_OF: Readonly<Record<number, number>> = { 1231: types.NUMERIC, 1115: types.TIMESTAMP, 1185: types.TIMESTAMPTZ, 1187: types.INTERVAL, 1182: types.DATE };

/**
 * The PGlite client Drizzle is given: these types are parsed as text by the client's own table, set
 * once, so Drizzle's queries (whose parsers say just that) go without the option and nothing is
 * merged; every other caller (pg-boss, backups) is given PGlite's parsers for those types with its
 * queries, so each result is what it was with the plain client.
 */
export function drizzleClient(client: PGlite): PGlite {
  const table = (client as unknown as { parsers: Parsers }).parsers;
  const original = (type: number): Parsers[number] | undefined => table[type] ?? (types.parsers as Parsers)[type];
  // PGlite's own parsers for these types, taken before the table changes: its array parsers look their element's up in the table.
  const own: Parsers = {};
  for (const type of TEXT_TYPES) {
    const element = ELEMENT_OF[type];
    if (element === undefined) {
      const parse = original(type);
      if (parse) own[type] = parse;
    } else {
      const parseElement = original(element) ?? ((text: string) => text);
      own[type] = (value: string) => types.arrayParser(value, parseElement, type);
    }
  }
  for (const type of TEXT_TYPES) table[type] = (value: string) => value;
  const options = (given: QueryOptions | undefined): QueryOptions => {
    const parsers = given?.parsers;
    if (parsers && Object.keys(parsers).every((type) => TEXT_TYPES.includes(Number(type)))) {
      const { parsers: _dropped, ...rest } = given;
      return rest;
    }
    return { ...given, parsers: { ...own, ...parsers } };
  };
  const querying = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (property === 'query') return (text: string, params?: unknown[], given?: QueryOptions) => (value as Transaction['query']).call(object, text, params, options(given));
        if (property === 'exec') return (text: string, given?: QueryOptions) => (value as Transaction['exec']).call(object, text, options(given));
        if (property === 'transaction') return <R>(work: (tx: Transaction) => Promise<R>) => (value as PGlite['transaction']).call(object, (tx: Transaction) => work(querying(tx)));
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
      },
    });
  return querying(client);
}
