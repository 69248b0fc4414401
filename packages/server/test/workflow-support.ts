import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalApi } from './fakes/access-api-server.js';
import { TEST_CONFIG_DIR } from './harness.js';

const HTTP_PLUGIN_DIR = fileURLToPath(new URL('../../../plugins/http', import.meta.url));

/** A config with the HTTP plugin pointed at `api` and the Stripe-only refund types left out. */
export function accessConfig(api: LocalApi): string {
  const dir = mkdtempSync(join(tmpdir(), 'latch-access-config-'));
  cpSync(TEST_CONFIG_DIR, dir, { recursive: true });
  for (const file of readdirSync(join(dir, 'case-types')).filter((f) => f.startsWith('refund.'))) rmSync(join(dir, 'case-types', file));
  writeFileSync(join(dir, 'plugins.yaml'), `plugins:\n  http:\n    path: ${HTTP_PLUGIN_DIR}\n    config: { baseUrl: "${api.url}", allowPrivateNetworks: true }\n    retry: { attempts: 4, firstDelayMs: 200 }\n`);
  return dir;
}

export const grantInput = (duration: string) => ({ method: 'POST', path: '/grants', body: { user: 'j.doe', resource: 'prod-db', role: 'read', duration } });

