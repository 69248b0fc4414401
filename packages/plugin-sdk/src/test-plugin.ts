import {
  JsonRpcPeer,
  PROTOCOL_VERSION,
  formatProblems,
  memoryTransportPair,
  schemas,
  validateSchema,
  type CaseContext,
  type ClassifyParams,
  type ClassifyResult,
  type ContextParams,
  type ContextResult,
  type ExecuteParams,
  type ExecuteResult,
  type InitializeResult,
  type JsonSchema,
  type ListedAction,
  type ReconcileParams,
  type ReconcileResult,
  type WebhookParams,
  type WebhookResult,
} from '@latch/protocol';
import type { Plugin } from './define-plugin.js';

/** What a test passes to `execute`: the action and input, the rest defaulted. */
export type TestExecuteParams = Pick<ExecuteParams, 'action' | 'input'> & Partial<Omit<ExecuteParams, 'action' | 'input'>>;

/** An in-memory host driving a plugin through the real protocol. */
export interface TestHost {
  /** `initialize` then `configure`; called for you by the first listActions/execute. */
  initialize(): Promise<InitializeResult>;
  listActions(caseContext?: Partial<CaseContext>): Promise<ListedAction[]>;
  /** Rejects with RpcError for error answers (-32001, -32002 …); checks the result against the protocol and outputSchema. */
  execute(params: TestExecuteParams): Promise<ExecuteResult>;
  /** `action.reconcile`; requestId and idempotencyKeys default to those of the n-th `execute` (`test-n`). */
  reconcile(params: Pick<ReconcileParams, 'action' | 'input'> & Partial<Omit<ReconcileParams, 'action' | 'input'>>): Promise<ReconcileResult>;
  /** `webhook.receive` with the given delivery; rejects with RpcError (-32004 WEBHOOK_REFUSED) for a refused one. */
  webhook(params: WebhookParams): Promise<WebhookResult>;
  /** `case.context` about a case (a neutral one by default); rejects with RpcError for an error answer. */
  context(params?: Partial<ContextParams>): Promise<ContextResult>;
  /** `case.classify` with the given text and choices (one neutral case type by default); rejects with RpcError for an error answer. */
  classify(params?: Partial<ClassifyParams>): Promise<ClassifyResult>;
  /** The raw JSON-RPC peer, for calls the helpers do not cover. */
  readonly peer: JsonRpcPeer;
  /** Everything the plugin logged. */
  readonly logs: string[];
  close(): Promise<void>;
}

/** A neutral case for tests; override any field. */
export function testCase(overrides: Partial<CaseContext> = {}): CaseContext {
  return { id: 'case-test', type: 'test', typeVersion: 1, status: 'in_progress', priority: 'normal', queue: null, fields: {}, ...overrides };
}

/** Connects `plugin` to an in-memory host, with the given configuration: a plugin's tests in a few lines. */
export function testPlugin(plugin: Plugin, options: { config?: Record<string, unknown>; secrets?: Record<string, string> } = {}): TestHost {
  const [hostSide, pluginSide] = memoryTransportPair();
  const logs: string[] = [];
  const connection = plugin.connect(pluginSide, { log: (line) => logs.push(line) });
  const peer = new JsonRpcPeer(hostSide, { defaultTimeoutMs: 10_000 });
  let initialized: Promise<InitializeResult> | undefined;
  let seq = 0;

  const initialize = () => {
    initialized ??= (async () => {
      const result = expectValid<InitializeResult>(schemas.initializeResult, await peer.request('initialize', { protocolVersion: PROTOCOL_VERSION, host: { name: 'latch-test', version: '0.0.0' } }), 'initialize result');
      await peer.request('configure', { config: options.config ?? {}, secrets: options.secrets ?? {} });
      return result;
    })();
    return initialized;
  };

  return {
    peer,
    logs,
    initialize,
    async listActions(caseContext = {}) {
      await initialize();
      const result = await peer.request('actions.list', { case: testCase(caseContext) });
      return expectValid<{ actions: ListedAction[] }>(schemas.listResult, result, 'actions.list result').actions;
    },
    async execute(params) {
      await initialize();
      const n = ++seq;
      const full: ExecuteParams = { requestId: `test-${n}`, idempotencyKey: `test-${n}-1`, case: testCase(), attempt: 1, ...params };
      const result = expectValid<ExecuteResult>(schemas.executeResult, await peer.request('action.execute', full), 'execute result');
      const outputSchema = plugin.manifest.actions.find((a) => a.name === params.action)?.outputSchema;
      // Stricter than the running SDK (which only logs): a test is where a wrong output should fail loudly.
      if (outputSchema && result.status === 'succeeded' && result.output !== undefined) expectValid(outputSchema, result.output, `output of ${params.action}`);
      return result;
    },
    async reconcile(params) {
      await initialize();
      const requestId = params.requestId ?? `test-${seq}`;
      const full: ReconcileParams = { requestId, idempotencyKeys: [`${requestId}-1`], case: testCase(), ...params };
      const result = expectValid<ReconcileResult>(schemas.reconcileResult, await peer.request('action.reconcile', full), 'reconcile result');
      if (result.found) expectValid(schemas.executeResult, result.result, 'reconciled result');
      return result;
    },
    async webhook(params) {
      await initialize();
      const result = expectValid<WebhookResult>(schemas.webhookResult, await peer.request('webhook.receive', params), 'webhook result');
      return result;
    },
    async context(params = {}) {
      await initialize();
      const full: ContextParams = { caseId: 'case-test', caseType: 'test', fields: {}, ...params };
      return expectValid<ContextResult>(schemas.contextResult, await peer.request('case.context', full), 'case.context result');
    },
    async classify(params = {}) {
      await initialize();
      const full: ClassifyParams = { caseId: 'case-test', text: '', fields: {}, caseTypes: [{ key: 'test', title: 'Test', queues: ['triage'], priorities: ['normal'] }], ...params };
      return expectValid<ClassifyResult>(schemas.classifyResult, await peer.request('case.classify', full), 'case.classify result');
    },
    async close() {
      peer.close();
      await connection.closed;
    },
  };
}

function expectValid<T>(schema: JsonSchema, value: unknown, what: string): T {
  const problems = validateSchema(schema, value);
  if (problems.length > 0) throw new Error(`${what} does not match its schema: ${formatProblems(problems)}`);
  return value as T;
}
