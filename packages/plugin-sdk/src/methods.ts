import {
  PROTOCOL_VERSION,
  choiceProblems,
  RpcError,
  RpcErrorCode,
  formatProblems,
  schemas,
  validateSchema,
  type ActionManifest,
  type ClassifyParams,
  type ClassifyResult,
  type ConfigureParams,
  type ContextParams,
  type ContextResult,
  type ExecuteParams,
  type ExecuteResult,
  type InitializeParams,
  type JsonSchema,
  type ListParams,
  type ListResult,
  type ReconcileParams,
  type WebhookParams,
  type WebhookResult,
} from '@latch/protocol';
import { ActionFailure, WebhookRefused } from './failure.js';
import type { ActionReturn, PluginDefinition, ReconcileReturn } from './types.js';

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
  const implementationOf = (name: string) => (Object.hasOwn(def.actions, name) ? def.actions[name] : undefined);
  const reconcilable = def.manifest.actions.map((a) => a.name).filter((name) => typeof implementationOf(name)?.reconcile === 'function');
  /** The declared action named in a call, with its input checked; an RpcError otherwise. */
  const checkedAction = (name: string, input: unknown) => {
    const manifestAction = declared.get(name);
    const implementation = implementationOf(name);
    if (!manifestAction || !implementation) throw new RpcError(RpcErrorCode.UNKNOWN_ACTION, `unknown action: ${name}`, { action: name });
    const problems = validateSchema(manifestAction.inputSchema, input);
    if (problems.length > 0) throw new RpcError(RpcErrorCode.INVALID_INPUT, `invalid input for ${name}: ${formatProblems(problems)}`, { problems });
    return { manifestAction, implementation };
  };

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
      const offered = {
        ...(reconcilable.length > 0 ? { reconcile: { version: 1, actions: reconcilable } } : {}),
        ...(typeof def.webhook === 'function' ? { webhooks: { version: 1 } } : {}),
        ...(def.context ? { context: { version: 1, caseTypes: [...def.context.caseTypes] } } : {}),
        ...(typeof def.classify === 'function' ? { classify: { version: 1 } } : {}),
      };
      return { protocolVersion: PROTOCOL_VERSION, manifest: def.manifest, ...(Object.keys(offered).length > 0 ? { capabilities: offered } : {}) };
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
      const { manifestAction, implementation } = checkedAction(p.action, p.input);
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
        result = normalize(returned, reconcilable.includes(p.action), (message) => log(`${prefix} ${message}`));
      } catch (error) {
        result = failure(error);
        log(`${prefix} failed (${result.retryable ? 'retryable' : 'permanent'}): ${error instanceof Error && error.stack ? error.stack : messageOf(error)}`);
      }
      checkOutput(manifestAction.outputSchema, result, (message) => log(`${prefix} ${message}`));
      return result;
    },

    async 'action.reconcile'(params) {
      const p = paramsOf<ReconcileParams>(schemas.reconcileParams, params);
      await ready();
      const { implementation } = checkedAction(p.action, p.input);
      if (!implementation.reconcile) throw new RpcError(RpcErrorCode.METHOD_NOT_FOUND, `action ${p.action} does not offer reconcile`, { action: p.action });
      const prefix = `[${p.action} ${p.requestId} reconcile]`;
      const say = (message: string) => log(`${prefix} ${message}`);
      let returned: ReconcileReturn;
      try {
        returned = await implementation.reconcile({ input: p.input as never, case: p.case, requestId: p.requestId, idempotencyKeys: p.idempotencyKeys, config: state.config, secrets: state.secrets, log: say });
      } catch (error) {
        // The host treats an error as "unknown": it will not run the action on a guess.
        say(`failed: ${error instanceof Error && error.stack ? error.stack : messageOf(error)}`);
        throw new RpcError(RpcErrorCode.INTERNAL_ERROR, `reconcile failed: ${messageOf(error)}`);
      }
      if (returned?.found === false) return { found: false };
      if (returned?.found !== true) throw new RpcError(RpcErrorCode.INTERNAL_ERROR, 'reconcile returned neither {found: false} nor {found: true, result}');
      return { found: true, result: normalize(returned.result, true, say) };
    },

    async 'webhook.receive'(params) {
      const p = paramsOf<WebhookParams>(schemas.webhookParams, params);
      await ready();
      if (!def.webhook) throw new RpcError(RpcErrorCode.METHOD_NOT_FOUND, 'this plugin does not receive webhooks');
      const say = (message: string) => log(`[webhook] ${message}`);
      let returned;
      try {
        returned = await def.webhook({ headers: p.headers, body: p.body, config: state.config, secrets: state.secrets, log: say });
      } catch (error) {
        if (error instanceof WebhookRefused) throw new RpcError(RpcErrorCode.WEBHOOK_REFUSED, error.message);
        say(`failed: ${error instanceof Error && error.stack ? error.stack : messageOf(error)}`);
        throw new RpcError(RpcErrorCode.INTERNAL_ERROR, `webhook failed: ${messageOf(error)}`);
      }
      const answer: WebhookResult = { eventId: returned?.eventId };
      if (returned?.requestId !== undefined && returned.result !== undefined) {
        answer.requestId = returned.requestId;
        answer.result = normalize(returned.result, true, say);
      }
      const problems = validateSchema(schemas.webhookResult, answer);
      if (problems.length > 0) throw new RpcError(RpcErrorCode.INTERNAL_ERROR, `webhook returned an invalid result: ${formatProblems(problems)}`);
      return answer;
    },

    async 'case.context'(params) {
      const p = paramsOf<ContextParams>(schemas.contextParams, params);
      await ready();
      const context = def.context;
      if (!context) throw new RpcError(RpcErrorCode.METHOD_NOT_FOUND, 'this plugin does not offer context');
      if (!context.caseTypes.includes('*') && !context.caseTypes.includes(p.caseType)) {
        throw new RpcError(RpcErrorCode.INVALID_PARAMS, `no context for cases of type ${p.caseType}`, { caseType: p.caseType });
      }
      const say = (message: string) => log(`[context ${p.caseId}] ${message}`);
      let returned;
      try {
        returned = await context.fetch({ caseId: p.caseId, caseType: p.caseType, fields: p.fields, config: state.config, secrets: state.secrets, log: say });
      } catch (error) {
        say(`failed: ${error instanceof Error && error.stack ? error.stack : messageOf(error)}`);
        throw new RpcError(RpcErrorCode.INTERNAL_ERROR, `context failed: ${messageOf(error)}`);
      }
      const answer: ContextResult = { facts: returned?.facts, fetchedAt: returned?.fetchedAt ?? new Date().toISOString() };
      if (returned?.summary !== undefined) answer.summary = returned.summary;
      const problems = validateSchema(schemas.contextResult, answer);
      if (problems.length > 0) {
        say(`returned an invalid answer: ${formatProblems(problems)}`);
        throw new RpcError(RpcErrorCode.INTERNAL_ERROR, `context returned an invalid answer: ${formatProblems(problems)}`);
      }
      return answer;
    },

    async 'case.classify'(params) {
      const p = paramsOf<ClassifyParams>(schemas.classifyParams, params);
      await ready();
      if (!def.classify) throw new RpcError(RpcErrorCode.METHOD_NOT_FOUND, 'this plugin does not classify');
      const say = (message: string) => log(`[classify ${p.caseId}] ${message}`);
      let returned;
      try {
        returned = await def.classify({ caseId: p.caseId, text: p.text, fields: p.fields, caseTypes: p.caseTypes, config: state.config, secrets: state.secrets, log: say });
      } catch (error) {
        say(`failed: ${error instanceof Error && error.stack ? error.stack : messageOf(error)}`);
        throw new RpcError(RpcErrorCode.INTERNAL_ERROR, `classify failed: ${messageOf(error)}`);
      }
      const answer = { ...returned, explanation: returned?.explanation ?? [] } as ClassifyResult;
      // The host discards an answer outside the schema or the choices anyway; saying so here names the bug in the plugin's log.
      const problems = validateSchema(schemas.classifyResult, answer).map((problem) => `${problem.path} ${problem.message}`);
      if (problems.length === 0) problems.push(...choiceProblems(p, answer));
      if (problems.length > 0) {
        say(`returned an invalid answer: ${problems.join('; ')}`);
        throw new RpcError(RpcErrorCode.INTERNAL_ERROR, `classify returned an invalid answer: ${problems.join('; ')}`);
      }
      return answer;
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
function normalize(returned: ActionReturn, canReconcile: boolean, log: (message: string) => void): ExecuteResult {
  if (returned?.status === 'pending' && !canReconcile) {
    log('execute answered pending, but the action has no reconcile to follow it with');
    return { status: 'failed', retryable: false, effect: 'unknown', summary: `Pending, and the plugin cannot follow it: ${String(returned.summary)}` };
  }
  const result: ExecuteResult = { status: returned?.status ?? 'succeeded', summary: returned?.summary };
  if (returned?.status === 'failed') {
    result.retryable = returned.retryable ?? true;
    if (returned.effect !== undefined) result.effect = returned.effect;
  }
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
  if (error.effect !== undefined) result.effect = error.effect;
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
