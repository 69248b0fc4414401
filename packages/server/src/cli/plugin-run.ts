import { runConformance } from '@latch/protocol';
import { readConfig } from '../config.js';
import { loadPluginSettings } from '../plugin-host/plugin-config.js';
import { readManifest } from '../plugin-host/plugin-host.js';
import { CliError } from './cli-error.js';
import { printJson } from './output.js';

/** `latch plugin list`. */
export function runList(o: { json?: boolean }): void {
  const settings = loadPluginSettings(readConfig().configDir);
  if (o.json) return printJson({ items: settings.map(describePlugin) });
  if (settings.length === 0) console.log('no plugins configured');
  for (const entry of settings) {
    try {
      const m = readManifest(entry.dir);
      const secrets = Object.keys(entry.secrets);
      console.log(`${m.id}@${m.version}  protocol ${m.protocolVersion}  ${entry.dir}`);
      console.log(`  actions: ${m.actions.map((a) => a.name).join(', ')}; case types: ${m.caseTypes.join(', ')}; secrets: ${secrets.join(', ') || 'none'}`);
    } catch (error) {
      console.log(`${entry.id}  INVALID: ${(error as Error).message}`);
    }
  }
}

/** `latch plugin test <dir>`: the conformance suite. */
export async function runTest(dir: string, o: { action?: string; input: string; config: string; secrets: string; json?: boolean }): Promise<void> {
  const manifest = readManifest(dir);
  // A plugin without actions (one that only classifies or gives context) runs the suite without an execute.
  const action = o.action ?? manifest.actions[0]?.name ?? '';
  const report = await runConformance(manifest.command, dir, { config: JSON.parse(o.config), secrets: JSON.parse(o.secrets), action, input: JSON.parse(o.input) });
  if (o.json) {
    printJson({ plugin: manifest.id, action, passed: report.passed, failed: report.failed });
  } else {
    for (const check of report.passed) console.log(`pass  ${check}`);
    for (const failure of report.failed) console.log(`FAIL  ${failure.check}: ${failure.error}`);
    console.log(`${report.passed.length} passed, ${report.failed.length} failed`);
  }
  if (report.failed.length > 0) throw new CliError(`${manifest.id} does not conform`, 3);
}

/** A configured plugin and its manifest, or why the manifest could not be read (secret names only, never values). */
function describePlugin(entry: ReturnType<typeof loadPluginSettings>[number]) {
  try {
    const m = readManifest(entry.dir);
    return { id: m.id, version: m.version, protocolVersion: m.protocolVersion, dir: entry.dir, actions: m.actions.map((a) => a.name), caseTypes: m.caseTypes, secrets: Object.keys(entry.secrets) };
  } catch (error) {
    return { id: entry.id, dir: entry.dir, invalid: (error as Error).message };
  }
}
