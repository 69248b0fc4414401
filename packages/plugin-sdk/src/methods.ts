import {
  PROTOCOL_VERSION,
  RpcError,
  RpcErrorCode,
  formatProblems,
  schemas,
  validateSchema,
  type ActionManifest,
  type ConfigureParams,
  type ExecuteParams,
  type ExecuteResult,
  type InitializeParams,
  type JsonSchema,
  type ListParams,
  type ListResult,
} from '@latch/protocol';
import { ActionFailure } from './failure.js';
import type { ActionReturn, PluginDefinition } from './types.js';

/** Per-connection state: a host restart means a new connection, configured afresh. */
export interface ConnectionState {
  configured: boolean;
  /** A configure in progress: calls pipelined right behind it wait for it instead of failing. */
  configuring?: Promise<unknown>;
  shuttingDown: boolean;
  config: Readonly<Record<string, unknown>>;
  secrets: Readonly<Record<string, string>>;
}

/** The protocol's methods for one plugin and connection, by name. */
export function createMethods(def: PluginDefinition, state: ConnectionState, log: (line: string) => void): Record<string, (params: unknown) => Promise<unknown>> {
  const declared = new Map<string, ActionManifest>(def.manifest.actions.map((a) => [a.name, a]));

  // Judged at receipt (before the first await): calls sent before `shutdown` still run.
  const ready = async () => {
    if (state.shuttingDown) throw new RpcError(RpcErrorCode.INVALID_REQUEST, 'plugin is shutting down');
    await state.configuring;
    if (!state.configured) throw new RpcError(RpcErrorCode.NOT_CONFIGURED, 'configure has not succeeded yet');
  };

  return {
    async initialize(params) {
      const p = paramsOf<InitializeParams>(schemas.initializeParams, params);
      // Answer anyway: the host compares versions and refuses us, which it logs loudly.
      if (p.protocolVersion !== PROTOCOL_VERSION) log(`host speaks protocol ${p.protocolVersion}; this plugin speaks ${PROTOCOL_VERSION}`);
      return { protocolVersion: PROTOCOL_VERSION, manifest: def.manifest };
    },

    async configure(params) {
      const { config, secrets } = paramsOf<ConfigureParams>(schemas.configureParams, params);
      const given = (name: string, secret: boolean) => ![undefined, null, ''].includes((secret ? secrets : config)[name] as string | null | undefined);
      const missing = def.manifest.config.filter((c) => c.required && !given(c.name, c.secret)).map((c) => c.name);
      if (missing.length > 0) throw new RpcError(RpcErrorCode.INVALID_PARAMS, `missing required configuration: ${missing.join(', ')}`, { missing });
      const run = Promise.resolve()
        .then(() => def.configure?.(config, secrets))
        .then(() => Object.assign(state, { configured: true, config: Object.freeze({ ...config }), secrets: Object.freeze({ ...secrets }) }));
      const settled = run.catch(() => undefined);
      state.configuring = settled;
      try {
        await run;
      } catch (error) {
        if (error instanceof RpcError) throw error;
        throw new RpcError(RpcErrorCode.INVALID_PARAMS, `configuration refused: ${messageOf(error)}`);
      } finally {
        if (state.configuring === settled) state.configuring = undefined;
      }
      return {};
    },

    async 'actions.list'(params) {
      const p = paramsOf<ListParams>(schemas.listParams, params);
      await ready();
      const actions = def.listActions ? await def.listActions(p.case) : def.manifest.actions.map(({ name, title }) => ({ name, title }));
      return { actions } satisfies ListResult;
    },

    async 'action.execute'(params) {
      const p = paramsOf<ExecuteParams>(schemas.executeParams, params);
      await ready();
      const manifestAction = declared.get(p.action);
      const implementation = Object.hasOwn(def.actions, p.action) ? def.actions[p.action] : undefined;
      if (!manifestAction || !implementation) throw new RpcError(RpcErrorCode.UNKNOWN_ACTION, `unknown action: ${p.action}`, { action: p.action });
      const problems = validateSchema(manifestAction.inputSchema, p.input);
      if (problems.length > 0) throw new RpcError(RpcErrorCode.INVALID_INPUT, `invalid input for ${p.action}: ${formatProblems(problems)}`, { problems });
      const prefix = `[${p.action} ${p.requestId}]`;
      let result: ExecuteResult;
      try {
        const returned = await implementation.execute({
          input: p.input as never,
          case: p.case,
          idempotencyKey: p.idempotencyKey,
          requestId: p.requestId,
          attempt: p.attempt,
          config: state.config,
          secrets: state.secrets,
          log: (message) => log(`${prefix} ${message}`),
        });
        result = normalize(returned, (message) => log(`${prefix} ${message}`));
      } catch (error) {
        result = failure(error);
        log(`${prefix} failed (${result.retryable ? 'retryable' : 'permanent'}): ${error instanceof Error && error.stack ? error.stack : messageOf(error)}`);
      }
      checkOutput(manifestAction.outputSchema, result, (message) => log(`${prefix} ${message}`));
      return result;
    },

    async shutdown() {
      state.shuttingDown = true;
      return {};
    },
  };
}

function paramsOf<T>(schema: JsonSchema, params: unknown): T {
  const problems = validateSchema(schema, params);
  if (problems.length > 0) throw new RpcError(RpcErrorCode.INVALID_PARAMS, `invalid params: ${formatProblems(problems)}`, { problems });
  return params as T;
}

/** Fills in defaults; a malformed return is a plugin bug, reported as a permanent failure so a person looks. */
function normalize(returned: ActionReturn, log: (message: string) => void): ExecuteResult {
  const result: ExecuteResult = { status: returned?.status ?? 'succeeded', summary: returned?.summary };
  if (returned?.status === 'failed') result.retryable = returned.retryable ?? true;
  if (returned?.output !== undefined) result.output = returned.output;
  if (returned?.external !== undefined) result.external = returned.external;
  const problems = validateSchema(schemas.executeResult, result);
  if (problems.length === 0) return result;
  log(`execute returned an invalid result: ${formatProblems(problems)}`);
  return { status: 'failed', retryable: false, summary: 'The plugin returned an invalid result' };
}

function failure(error: unknown): ExecuteResult {
  const summary = messageOf(error) || 'Action failed';
  if (!(error instanceof ActionFailure)) return { status: 'failed', retryable: true, summary };
  const result: ExecuteResult = { status: 'failed', retryable: error.retryable, summary };
  if (error.output !== undefined) result.output = error.output;
  if (error.external !== undefined) result.external = error.external;
  return result;
}

/** Only logged: the action may already have acted, so turning this into a failure would mislead. */
function checkOutput(schema: JsonSchema | undefined, result: ExecuteResult, log: (message: string) => void): void {
  if (!schema || result.status !== 'succeeded' || result.output === undefined) return;
  const problems = validateSchema(schema, result.output);
  if (problems.length > 0) log(`output does not match the action's outputSchema: ${formatProblems(problems)}`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
