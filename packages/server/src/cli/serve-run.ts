import { readConfig } from '../config.js';
import { seedDemo, DEMO_USERS } from '../demo/seed.js';
import { buildApp } from '../http/app.js';
import { loggableError } from '../loggable-error.js';
import { unavailableReason } from '../db/transient-errors.js';
import { openLatch } from '../runtime.js';
import { reloadOnSignal } from '../config-reload/reload-on-signal.js';

/** How long a stopping server lets requests in flight finish before it closes their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

/** `latch serve`: the API and the console until SIGINT or SIGTERM. */
export async function runServe(options: { demo?: boolean; migrate?: boolean; json?: boolean }): Promise<void> {
  const config = readConfig();
  const latch = await openLatch(config, { migrate: options.migrate === true });
  const app = await buildApp(latch.ctx, { logger: process.env.LATCH_LOG !== 'off' });
  let closing = false;
  const shutdown = async (code: number) => {
    if (closing) return;
    closing = true;
    // close() waits for every connection to end. One that never sent a request (a browser's
    // preconnect, a port check) holds it until the headers timeout, a minute: requests in flight
    // get SHUTDOWN_GRACE_MS, then every connection is closed.
    const force = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    await app.close().catch(() => undefined);
    clearTimeout(force);
    await latch.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  // SIGHUP reloads the configuration directory: checked first; on any error the running one stays.
  process.on('SIGHUP', () => void reloadOnSignal(latch.ctx, (level, message) => app.log[level](message)));
  // A bug stops the process. A lost PostgreSQL connection never does: every client and loop
  // handles its own, and one that slipped through is reported, not fatal (the pool reconnects).
  const survivable = (error: unknown, what: string) => {
    const reason = config.databaseUrl ? unavailableReason(error) : undefined;
    if (reason !== undefined) app.log.error(`${what} from a lost database connection (${reason}); still serving`);
    return reason !== undefined;
  };
  process.on('uncaughtException', (error) => {
    if (survivable(error, 'uncaught exception')) return;
    app.log.fatal({ error: loggableError(error) }, 'uncaught exception; shutting down');
    void shutdown(1);
  });
  process.on('unhandledRejection', (error) => {
    if (survivable(error, 'unhandled rejection')) return;
    app.log.fatal({ error: loggableError(error) }, 'unhandled rejection; shutting down');
    void shutdown(1);
  });

  const seeded = options.demo ? await seedDemo(latch.ctx) : false;
  await app.listen({ port: config.port, host: config.host });
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  const where = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`;
  if (options.json) {
    console.log(JSON.stringify({ url, console: `${url}/`, api: `${url}/api/v1`, database: config.databaseUrl ? 'postgresql' : 'embedded', demo: seeded }));
    return;
  }
  console.log(`\nLatch is running on ${where}.`);
  console.log(`  Console: ${url}/`);
  console.log(`  API:     ${url}/api/v1   (OpenAPI: ${url}/api/v1/openapi.json)`);
  console.log(`  Log in:  POST ${url}/api/v1/auth/login  or  latch login --url ${url}`);
  if (options.demo) {
    console.log(seeded ? '  Demo workspace created. Accounts:' : '  Demo accounts (existing workspace):');
    for (const user of DEMO_USERS) console.log(`    ${user.email.padEnd(24)} ${user.password.padEnd(26)} ${user.roles.join(', ')}`);
  }
  if (!config.databaseUrl) {
    console.log('  Embedded mode: one process, data in one directory, every commit fsynced before it is acknowledged.');
    console.log('  For several servers or replicas, set LATCH_DATABASE_URL to a PostgreSQL database.');
  }
  console.log('');
}
