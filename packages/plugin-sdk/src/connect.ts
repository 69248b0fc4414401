import { JsonRpcPeer, RpcError, RpcErrorCode, type Transport } from '@latch/protocol';
import { createMethods, type ConnectionState } from './methods.js';
import type { PluginDefinition } from './types.js';

/** Options for serving a plugin over a transport. */
export interface ConnectOptions {
  /** Where log lines go; default: stderr (the plugin's log, which the host scrubs of secrets). */
  log?: (line: string) => void;
}

/** A plugin serving one host connection. */
export interface PluginConnection {
  /** Resolves once the transport has closed, in-flight calls have settled and `shutdown` has run. */
  readonly closed: Promise<void>;
}

// The host kills a plugin 5 s after closing its stdin: finish in-flight calls, then run the
// author's shutdown hook, within that budget.
const INFLIGHT_GRACE_MS = 2_500;
const SHUTDOWN_HOOK_MS = 1_500;

/** Serves `def` over `transport`: answers every protocol method, concurrently. */
export function connectPlugin(def: PluginDefinition, transport: Transport, options: ConnectOptions = {}): PluginConnection {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const state: ConnectionState = { configured: false, shuttingDown: false, config: {}, secrets: {} };
  const methods = createMethods(def, state, log);
  const inflight = new Set<Promise<unknown>>();
  const peer = new JsonRpcPeer(transport, {
    // Malformed lines are logged and ignored: the plugin stays alive (the host may still restart it).
    onProtocolError: (error, line) => log(`${error.message}: ${line}`),
    onHandlerError: (error, method) => log(`${method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  });

  peer.onRequest(async (method, params) => {
    const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (!handler) throw new RpcError(RpcErrorCode.METHOD_NOT_FOUND, `method not found: ${method}`);
    const work = handler(params);
    inflight.add(work);
    const done = () => void inflight.delete(work);
    work.then(done, done);
    return work;
  });

  const closed = new Promise<void>((resolve) => {
    peer.onClose(() => {
      void (async () => {
        await bounded(Promise.allSettled([...inflight]), INFLIGHT_GRACE_MS);
        await bounded(
          Promise.resolve()
            .then(() => def.shutdown?.())
            .catch((error: unknown) => log(`shutdown hook failed: ${String(error)}`)),
          SHUTDOWN_HOOK_MS,
        );
        resolve();
      })();
    });
  });
  return { closed };
}

function bounded(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
