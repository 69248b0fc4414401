import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { JsonRpcPeer, PROTOCOL_VERSION, stdioTransport, type Capabilities, type Manifest } from '@latch/protocol';
import { scrub } from '../execution/run-execution.js';

export interface PluginProcessOptions {
  readonly id: string;
  readonly dir: string;
  /** The manifest file on disk: what the running plugin must say it is. */
  readonly declared: Manifest;
  readonly config: Readonly<Record<string, unknown>>;
  readonly secrets: Readonly<Record<string, string>>;
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
  readonly hostVersion?: string;
}

const INIT_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 60_000;
const TIMEOUTS_BEFORE_RESTART = 3;

/**
 * One supervised plugin process: started with a clean environment, checked at the handshake
 * (protocol version, manifest identical to the file on disk), given only its own config and
 * secrets, restarted with backoff when it exits or keeps timing out. Calls never hang Latch: each
 * has a deadline, and calls made while the plugin is down fail at once.
 */
export class PluginProcess {
  #child: ChildProcess | undefined;
  #peer: JsonRpcPeer | undefined;
  #ready: Promise<void> | undefined;
  #stopped = false;
  #restarts = 0;
  #timeouts = 0;
  #state: 'starting' | 'ready' | 'down' | 'failed' = 'down';
  #lastError: string | undefined;
  #capabilities: Capabilities = {};

  constructor(private readonly options: PluginProcessOptions) {}

  get state() {
    return { state: this.#state, restarts: this.#restarts, lastError: this.#lastError };
  }

  /** What the running plugin offered at its handshake (kept across restarts until the next handshake). */
  get capabilities(): Capabilities {
    return this.#capabilities;
  }

  /** Starts the process and completes the handshake; rejects (and stays down) if the plugin is not what it claims. */
  start(): Promise<void> {
    this.#ready = this.#launch();
    return this.#ready;
  }

  /** Calls a method with a deadline, waiting for a (re)start in progress. */
  async call(method: string, params: unknown, timeoutMs: number): Promise<unknown> {
    if (this.#stopped) throw new Error(`plugin ${this.options.id} is stopped`);
    await this.#ready;
    const peer = this.#peer;
    if (!peer || this.#state !== 'ready') throw new Error(`plugin ${this.options.id} is ${this.#state}${this.#lastError ? `: ${this.#lastError}` : ''}`);
    try {
      const result = await peer.request(method, params, { timeoutMs });
      this.#timeouts = 0;
      return result;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'TIMEOUT' && ++this.#timeouts >= TIMEOUTS_BEFORE_RESTART) {
        this.options.log('warn', `plugin ${this.options.id} timed out ${this.#timeouts} times in a row; restarting it`);
        this.#timeouts = 0;
        this.#child?.kill('SIGKILL');
      }
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await this.#peer?.request('shutdown', {}, { timeoutMs: 2_000 }).catch(() => undefined);
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  async #launch(): Promise<void> {
    const { id, dir, declared } = this.options;
    this.#state = 'starting';
    const [command, ...args] = declared.command;
    const child = spawn(command!, args, {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', LANG: process.env.LANG ?? 'C.UTF-8', TZ: 'UTC', LATCH_PLUGIN_PROTOCOL: PROTOCOL_VERSION },
    });
    this.#child = child;
    const secrets = Object.values(this.options.secrets);
    createInterface({ input: child.stderr! }).on('line', (line) => this.options.log('info', `[plugin ${id}] ${scrub(line, secrets)}`));
    const peer = new JsonRpcPeer(stdioTransport(child.stdout!, child.stdin!), {
      // A plugin that writes anything but protocol lines to stdout is broken: restart it.
      onProtocolError: (error) => {
        this.options.log('error', `plugin ${id} broke the protocol (${scrub(error.message, secrets)}); restarting it`);
        child.kill('SIGKILL');
      },
    });
    this.#peer = peer;
    child.once('exit', (code, signal) => this.#onExit(code, signal));
    // An unbuilt plugin (no such file) is said once, plainly, rather than as a closed connection.
    const spawned = new Promise<string | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (error: NodeJS.ErrnoException) => {
        this.#lastError = error.message;
        resolve(`could not start ${command}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
      });
    });
    try {
      const notStarted = await spawned;
      if (notStarted) throw new Error(notStarted);
      const init = (await peer.request('initialize', { protocolVersion: PROTOCOL_VERSION, host: { name: 'latch', version: this.options.hostVersion ?? '0.1.0' } }, { timeoutMs: INIT_TIMEOUT_MS })) as {
        protocolVersion?: unknown;
        manifest?: Manifest;
        capabilities?: Capabilities;
      };
      if (init.protocolVersion !== PROTOCOL_VERSION) throw new Error(`speaks protocol ${String(init.protocolVersion)}, Latch speaks ${PROTOCOL_VERSION}`);
      const m = init.manifest;
      if (!m || m.id !== declared.id || m.version !== declared.version || m.protocolVersion !== declared.protocolVersion) {
        throw new Error(`its handshake manifest (${m?.id}@${m?.version}) differs from latch-plugin.json (${declared.id}@${declared.version})`);
      }
      // Only the capability versions this host knows; anything else is ignored, as the protocol says.
      const offered = init.capabilities;
      this.#capabilities = {
        ...(offered?.reconcile?.version === 1 ? { reconcile: offered.reconcile } : {}),
        ...(offered?.webhooks?.version === 1 ? { webhooks: { version: 1 as const } } : {}),
        ...(offered?.context?.version === 1 && Array.isArray(offered.context.caseTypes) ? { context: { version: 1 as const, caseTypes: offered.context.caseTypes } } : {}),
        ...(offered?.classify?.version === 1 ? { classify: { version: 1 as const } } : {}),
      };
      await peer.request('configure', { config: this.options.config, secrets: this.options.secrets }, { timeoutMs: INIT_TIMEOUT_MS });
      this.#state = 'ready';
      this.#lastError = undefined;
      this.options.log('info', `plugin ${id}@${declared.version} ready`);
    } catch (error) {
      this.#state = 'failed';
      this.#lastError = scrub((error as Error).message, secrets);
      this.options.log('error', `plugin ${id} failed to start: ${this.#lastError}`);
      child.kill('SIGKILL');
      throw new Error(`plugin ${id} failed to start: ${this.#lastError}`);
    }
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#peer?.close();
    if (this.#stopped) {
      this.#state = 'down';
      return;
    }
    const wasFailed = this.#state === 'failed';
    this.#state = wasFailed ? 'failed' : 'down';
    if (wasFailed) return; // a handshake refusal is final: the plugin is not what it claims to be
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.#restarts, 6));
    this.#restarts += 1;
    this.options.log('warn', `plugin ${this.options.id} exited (${signal ?? code}); restarting in ${delay} ms`);
    const timer = setTimeout(() => {
      if (!this.#stopped) this.#ready = this.#launch().catch(() => undefined);
    }, delay);
    timer.unref();
  }
}
