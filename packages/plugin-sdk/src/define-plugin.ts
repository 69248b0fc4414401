import { deepEqual, formatProblems, schemas, stdioTransport, unsupportedKeywords, validateSchema, type JsonSchema, type Manifest, type Transport } from '@latch/protocol';
import { connectPlugin, type ConnectOptions, type PluginConnection } from './connect.js';
import type { FromSchema } from './from-schema.js';
import { guardStdout } from './stdout-guard.js';
import type { ActionContext, ActionDefinition, ActionReturn, PluginDefinition, ReconcileContext, ReconcileReturn } from './types.js';

/** A defined plugin, ready to serve. */
export interface Plugin {
  readonly manifest: Manifest;
  /** The entry point: serves the protocol on process.stdin/stdout and exits once stdin closes. */
  serve(): void;
  /** Serves the protocol over any transport (the test host uses an in-memory one). */
  connect(transport: Transport, options?: ConnectOptions): PluginConnection;
}

/**
 * Checks a plugin's definition and returns it ready to serve. Throws at start-up, naming the
 * problem, when the manifest is invalid, an action lacks an implementation (or vice versa), or
 * an inputSchema uses keywords the SDK's validator does not check (see @latch/protocol
 * json-schema.ts): better than accepting input that was never validated.
 */
export function definePlugin(definition: PluginDefinition): Plugin {
  const { manifest } = definition;
  const problems = validateSchema(schemas.manifest, manifest);
  if (problems.length > 0) throw new Error(`invalid manifest for plugin ${String(manifest?.id)}: ${formatProblems(problems)}`);
  const declared = new Set(manifest.actions.map((a) => a.name));
  const implemented = new Set(Object.keys(definition.actions));
  const missing = [...declared].filter((name) => !implemented.has(name));
  const extra = [...implemented].filter((name) => !declared.has(name));
  if (missing.length > 0) throw new Error(`plugin ${manifest.id}: no implementation for action(s) ${missing.join(', ')}`);
  if (extra.length > 0) throw new Error(`plugin ${manifest.id}: action(s) ${extra.join(', ')} are not in the manifest`);
  for (const action of manifest.actions) {
    const unsupported = unsupportedKeywords(action.inputSchema);
    if (unsupported.length > 0) throw new Error(`plugin ${manifest.id}, action ${action.name}: inputSchema uses unsupported keywords or patterns: ${unsupported.join(', ')}`);
    const typed = definition.actions[action.name]?.inputSchema;
    if (typed !== undefined && !deepEqual(typed, action.inputSchema)) {
      throw new Error(`plugin ${manifest.id}, action ${action.name}: the action's inputSchema differs from the manifest's`);
    }
  }
  checkContextTypes(definition);
  return {
    manifest,
    connect: (transport, options) => connectPlugin(definition, transport, options),
    serve() {
      guardStdout();
      const connection = connectPlugin(definition, stdioTransport(process.stdin, process.stdout));
      void connection.closed.then(() => {
        // Exit even if the author left handles open (pools, timers): the host expects it within 5 s.
        // The transport has ended stdout; wait for it to flush, but not forever.
        const exit = () => process.exit(0);
        if (process.stdout.writableFinished) return exit();
        process.stdout.once('finish', exit);
        setTimeout(exit, 500).unref();
      });
    },
  };
}

/** A context handler may only describe case types the plugin sees. */
function checkContextTypes({ manifest, context }: PluginDefinition): void {
  if (!context) return;
  if (context.caseTypes.length === 0) throw new Error(`plugin ${manifest.id}: context names no case type`);
  const unseen = manifest.caseTypes.includes('*') ? [] : context.caseTypes.filter((type) => !manifest.caseTypes.includes(type));
  if (unseen.length > 0) throw new Error(`plugin ${manifest.id}: context names case types the manifest's caseTypes do not include: ${unseen.join(', ')}`);
}

/** Declares an action whose input type is inferred from its `inputSchema`, written `as const`. */
export function action<const S extends JsonSchema>(definition: {
  readonly inputSchema: S;
  execute(ctx: ActionContext<FromSchema<S>>): ActionReturn | Promise<ActionReturn>;
  reconcile?(ctx: ReconcileContext<FromSchema<S>>): ReconcileReturn | Promise<ReconcileReturn>;
}): ActionDefinition<FromSchema<S>>;
/** Declares an action whose input type the author names: `action<{ message: string }>({ execute })`. */
export function action<TInput = unknown>(definition: ActionDefinition<TInput>): ActionDefinition<TInput>;
export function action(definition: ActionDefinition<unknown>): ActionDefinition<unknown> {
  return definition;
}
