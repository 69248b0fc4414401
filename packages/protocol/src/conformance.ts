import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCapabilities, checkReconcile } from './conformance-reconcile.js';
import { checkWebhooks } from './conformance-webhooks.js';
import { checkContext } from './conformance-context.js';
import { checkClassify, checkClassifyInjection } from './conformance-classify.js';
import { isProtocolLine, startProcess, within, type ProcessUnderTest } from './conformance-process.js';
import { countAnswers, describe, ensure, expectCode, invalidInputFor, parse, waitUntil } from './conformance-util.js';
import { RpcErrorCode } from './errors.js';
import { schemas } from './schemas/index.js';
import type { ActionManifest, Capabilities, CaseContext, ExecuteParams, ExecuteResult, InitializeResult, Manifest } from './types.js';
import { PROTOCOL_VERSION } from './version.js';

/** What to run the suite with. */
export interface ConformanceOptions {
  config: Record<string, unknown>;
  secrets: Record<string, string>;
  /** An action of the plugin, and an input its inputSchema accepts. */
  action: string;
  input: unknown;
  /** An input the action's inputSchema rejects; derived from the schema when omitted. */
  invalidInput?: unknown;
  /** The case sent with `actions.list`, `action.execute` and `case.context`; a neutral one when omitted. */
  case?: CaseContext;
  /** Deadline per call (default 10 s, the protocol's `initialize` deadline). */
  timeoutMs?: number;
}

/** Names of passed checks (some with a detail in parentheses) and failed checks with the reason. */
export interface ConformanceReport {
  passed: string[];
  failed: { check: string; error: string }[];
}

const CONCURRENT_CALLS = 20;
const NO_ACTIONS = 'no actions declared';

/**
 * Runs a plugin process (`command` in `cwd`, which holds its latch-plugin.json) through the
 * protocol's lifecycle and reports each check. A malformed line may either be survived (the
 * plugin ignores it, and answers -32600 where the id is known) or end the process, which must
 * then restart cleanly: the host kills a plugin that breaks the protocol anyway (see
 * docs/plugin-protocol.md), so both are conforming; hanging is not.
 */
export async function runConformance(command: string[], cwd: string, options: ConformanceOptions): Promise<ConformanceReport> {
  const run = new ConformanceRun(command, cwd, options);
  await run.all().finally(() => run.cleanup());
  return run.report;
}

class ConformanceRun {
  readonly report: ConformanceReport = { passed: [], failed: [] };
  readonly #processes: ProcessUnderTest[] = [];
  #current: ProcessUnderTest;
  #declared: Manifest | undefined;
  #manifest: Manifest | undefined;
  #capabilities: Capabilities | undefined;
  #executed: { params: ExecuteParams; status: string } | undefined;
  #seq = 0;

  constructor(
    readonly command: string[],
    readonly cwd: string,
    readonly options: ConformanceOptions,
  ) {
    this.#current = this.#start();
  }

  async all(): Promise<void> {
    const { action, input, config, secrets } = this.options;
    await this.#check('latch-plugin.json matches manifest.schema.json', async () => {
      this.#declared = ensure<Manifest>(schemas.manifest, JSON.parse(readFileSync(join(this.cwd, 'latch-plugin.json'), 'utf8')), 'latch-plugin.json');
    });
    // A command that cannot start (an unbuilt binary) is one failure, said once, not one per check.
    const notStarted = await this.#current.started;
    if (notStarted) {
      this.report.failed.push({ check: 'the plugin process starts', error: notStarted });
      return;
    }
    const init = this.#initialize();
    init.catch(() => undefined); // awaited by the checks below; this only keeps an early failure from being "unhandled"
    await this.#check('initialize answers within the deadline with protocolVersion "1"', async () => {
      const result = (await init) as Partial<InitializeResult>;
      if (result?.protocolVersion !== PROTOCOL_VERSION) throw new Error(`protocolVersion is ${JSON.stringify(result?.protocolVersion)}`);
    });
    await this.#check('initialize result (and manifest) match their schemas', async () => {
      const result = ensure<InitializeResult>(schemas.initializeResult, await init, 'initialize result');
      this.#manifest = result.manifest;
      this.#capabilities = result.capabilities;
    });
    await this.#check('capabilities name only declared actions', async () => checkCapabilities(this.#capabilities, this.#manifest));
    await this.#check('initialize manifest matches latch-plugin.json (id, version, protocolVersion)', async () => {
      const [got, file] = [this.#manifest, this.#declared];
      if (!got || !file) throw new Error('no valid manifest to compare (see the checks above)');
      for (const key of ['id', 'version', 'protocolVersion'] as const) {
        if (got[key] !== file[key]) throw new Error(`${key}: initialize says ${JSON.stringify(got[key])}, latch-plugin.json says ${JSON.stringify(file[key])}`);
      }
    });
    await this.#check('configure accepts the declared config', async () => void ensure(schemas.configureResult, await this.#call('configure', { config, secrets }), 'configure result'));
    await this.#check('unknown method answers -32601', () => expectCode(this.#call('conformance.noSuchMethod', {}), RpcErrorCode.METHOD_NOT_FOUND));
    await this.#check('actions.list returns a valid result', async () => {
      ensure(schemas.listResult, await this.#call('actions.list', { case: this.#case() }), 'actions.list result');
    });
    await this.#check('unknown action answers -32001', () => expectCode(this.#execute('conformanceNoSuchAction', {}), RpcErrorCode.UNKNOWN_ACTION));
    // A plugin may declare no action at all (one that only classifies or gives context): nothing to execute then.
    await this.#check('invalid input answers -32002', async () => (this.#actionless() ? NO_ACTIONS : expectCode(this.#execute(action, this.#invalidInput()), RpcErrorCode.INVALID_INPUT)));
    await this.#check('a valid execute returns a valid result', async () => (this.#actionless() ? NO_ACTIONS : this.#checkResult(await this.#execute(action, input))));
    await this.#check('action.reconcile finds what was executed, and nothing else', async () =>
      this.#actionless() ? NO_ACTIONS : checkReconcile(this.#capabilities, this.#executed, (params) => this.#call('action.reconcile', params)),
    );
    await this.#check('webhook.receive refuses an unsigned delivery', () => checkWebhooks(this.#capabilities, (params) => this.#call('webhook.receive', params)));
    await this.#check('case.context answers with valid facts', () =>
      checkContext(this.#capabilities, this.#manifest, this.options.case, (params) => this.#call('case.context', params)),
    );
    await this.#check('case.classify suggests only offered choices', () => checkClassify(this.#capabilities, this.#manifest, (params) => this.#call('case.classify', params)));
    await this.#check('case.classify keeps to the offered choices whatever the text says', () =>
      checkClassifyInjection(this.#capabilities, this.#manifest, (params) => this.#call('case.classify', params)),
    );
    await this.#check(`${CONCURRENT_CALLS} concurrent executes are all answered with matching ids`, () => this.#concurrent());
    await this.#check('malformed lines', () => this.#malformed());
    await this.#check('shutdown answers {}', async () => void ensure(schemas.shutdownResult, await this.#call('shutdown', {}), 'shutdown result'));
    await this.#check('exits within 5 s of stdin closing', async () => {
      const p = this.#current;
      p.closeStdin();
      if (!(await within(p.exited, 5_000))) throw new Error('still running 5 s after stdin closed (killed)');
      const { code, signal } = await p.exited;
      return signal ? `signal ${signal}` : `exit code ${code}`;
    });
    await this.#check('stdout carries nothing but protocol lines', async () => {
      const stray = this.#processes.flatMap((p) => p.stdout).filter((line) => !isProtocolLine(line));
      if (stray.length > 0) throw new Error(`${stray.length} non-protocol line(s), first: ${stray[0]!.slice(0, 200)}`);
    });
  }

  cleanup(): void {
    for (const p of this.#processes) p.kill();
  }

  async #check(name: string, fn: () => Promise<string | void>): Promise<void> {
    try {
      const detail = await fn();
      this.report.passed.push(detail ? `${name} (${detail})` : name);
    } catch (error) {
      const tail = this.#current.stderr.slice(-3).join(' | ');
      this.report.failed.push({ check: name, error: `${describe(error)}${tail ? ` [plugin stderr: ${tail}]` : ''}` });
    }
  }

  #start(): ProcessUnderTest {
    const p = startProcess(this.command, this.cwd);
    this.#processes.push(p);
    return p;
  }

  #initialize(): Promise<unknown> {
    return this.#call('initialize', { protocolVersion: PROTOCOL_VERSION, host: { name: 'latch-conformance', version: PROTOCOL_VERSION } });
  }

  #call(method: string, params: unknown): Promise<unknown> {
    return this.#current.peer.request(method, params, { timeoutMs: this.options.timeoutMs ?? 10_000 });
  }

  async #execute(action: string, input: unknown): Promise<unknown> {
    const n = ++this.#seq;
    const params: ExecuteParams = { requestId: `conformance-${process.pid}-${Date.now()}-${n}`, idempotencyKey: `conformance-${process.pid}-${Date.now()}-${n}-1`, action, input, case: this.#case(), attempt: 1 };
    const result = await this.#call('action.execute', params);
    if (action === this.options.action && this.#executed === undefined) this.#executed = { params, status: String((result as { status?: unknown })?.status) };
    return result;
  }

  #case(): CaseContext {
    const type = this.#manifest?.caseTypes.find((t) => t !== '*') ?? 'conformance';
    return this.options.case ?? { id: 'conformance-case', type, typeVersion: 1, status: 'in_progress', priority: 'normal', queue: null, fields: {} };
  }

  #actionless(): boolean {
    return (this.#manifest ?? this.#declared)?.actions.length === 0;
  }

  #action(name: string): ActionManifest | undefined {
    return (this.#manifest ?? this.#declared)?.actions.find((a) => a.name === name);
  }

  #checkResult(result: unknown): string {
    const r = ensure<ExecuteResult>(schemas.executeResult, result, 'execute result');
    const outputSchema = this.#action(this.options.action)?.outputSchema;
    if (r.status === 'succeeded' && outputSchema && r.output !== undefined) ensure(outputSchema, r.output, 'output against the action outputSchema');
    return `status ${r.status}`;
  }

  /** Fires many executes (actions.list for a plugin without actions) at once and checks every request id got exactly one answer. */
  async #concurrent(): Promise<string | void> {
    const p = this.#current;
    const from = p.sent.length;
    const actionless = this.#actionless();
    if (actionless) {
      const lists = await Promise.all(Array.from({ length: CONCURRENT_CALLS }, () => this.#call('actions.list', { case: this.#case() })));
      lists.forEach((result) => ensure(schemas.listResult, result, 'actions.list result'));
    } else {
      const results = await Promise.all(Array.from({ length: CONCURRENT_CALLS }, () => this.#execute(this.options.action, this.options.input)));
      results.forEach((result) => ensure(schemas.executeResult, result, 'execute result'));
    }
    const answers = countAnswers(p.stdout);
    const ids = p.sent.slice(from).map((line) => parse(line)?.id);
    const wrong = ids.filter((id) => answers.get(id) !== 1);
    if (ids.length !== CONCURRENT_CALLS || wrong.length > 0) throw new Error(`ids not answered exactly once: ${JSON.stringify(wrong)}`);
    return actionless ? `${NO_ACTIONS}: actions.list instead` : undefined;
  }

  /** Sends a non-JSON line and an id-bearing invalid request; the plugin must survive both, or exit and restart. */
  async #malformed(): Promise<string> {
    const p = this.#current;
    const invalidId = 'conformance-invalid-request';
    const answered = () => p.stdout.some((line) => {
      const m = parse(line);
      return m?.id === invalidId && (m.error as { code?: unknown } | undefined)?.code === RpcErrorCode.INVALID_REQUEST;
    });
    p.writeRaw('{"this is": not json\n');
    p.writeRaw(`${JSON.stringify({ jsonrpc: '2.0', id: invalidId })}\n`);
    await waitUntil(() => p.hasExited() || answered(), 2_000);
    if (!p.hasExited()) {
      await this.#call('actions.list', { case: this.#case() });
      if (!answered()) throw new Error('stayed alive but did not answer {"jsonrpc":"2.0","id":…} (no method) with -32600');
      return 'stays alive; answers -32600 where the id is known';
    }
    this.#current = this.#start();
    if (((await this.#initialize()) as InitializeResult).protocolVersion !== PROTOCOL_VERSION) throw new Error('restarted plugin answered another protocolVersion');
    await this.#call('configure', { config: this.options.config, secrets: this.options.secrets });
    return 'exits, and restarts cleanly';
  }

  #invalidInput(): unknown {
    if ('invalidInput' in this.options) return this.options.invalidInput;
    const schema = this.#action(this.options.action)?.inputSchema;
    if (!schema) throw new Error(`action '${this.options.action}' is not in the manifest`);
    return invalidInputFor(schema);
  }
}
