// bench/intelligence-providers: what asking a provider other than the built-in model costs Latch,
// apart from the model's own time.
// 1. OpenAiProvider against a local chat-completions server that answers at once: building the
//    request (schema of the choices, delimited case), the openai client's HTTP round trip, and the
//    strict check of the answer. Sequential calls, then concurrent ones.
//    Also Latch's own share of it alone: building the request and checking the answer, no I/O.
// 2. PluginProvider through PluginHost to the example classify plugins, TypeScript
//    (plugins/keyword-classify) and Go (sdk/go/examples/classify): the JSON-RPC round trip, the
//    plugin's keyword model, and the check of the answer.
// Usage: node bench/intelligence-providers.mjs [--calls N] [--concurrency C]
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { drive, machine, percentile, root } from './lib.mjs';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '16' } } });
const calls = Number(values.calls);
const concurrency = Number(values.concurrency);
const dist = `${root}packages/server/dist`;
const { OpenAiProvider } = await import(`${dist}/intelligence/providers/openai-provider.js`);
const { PluginProvider } = await import(`${dist}/intelligence/providers/plugin-provider.js`);
const { PluginHost } = await import(`${dist}/plugin-host/plugin-host.js`);
const { chatRequest } = await import(`${dist}/intelligence/providers/chat-prompt.js`);
const { suggestionOf } = await import(`${dist}/intelligence/providers/answer-schema.js`);

const request = {
  caseId: 'bench-case',
  text: 'URGENT: I was charged twice for order 1234 (duplicate charge). Please refund the second payment.',
  fields: { order_id: '1234' },
  caseTypes: [
    { key: 'refund', title: 'Refund', queues: ['refunds'], priorities: ['low', 'normal', 'high'], intents: ['duplicate_charge', 'not_received'] },
    { key: 'access_request', title: 'Access request', queues: ['it'], priorities: ['normal', 'high'] },
    { key: 'vendor_bank_change', title: 'Vendor bank change', queues: ['finance'], priorities: ['normal', 'high'] },
  ],
  personalData: true,
};

/** Runs `n` suggestions, `c` at a time; prints suggestions/s and latency percentiles. */
async function measure(label, provider, n, c) {
  await provider.suggest(request, AbortSignal.timeout(10_000)); // warm-up
  const { seconds, latencies, failures, firstFailure } = await drive(n, c, async () => {
    const suggestion = await provider.suggest(request, AbortSignal.timeout(10_000));
    return suggestion.caseType === 'refund' ? undefined : `unexpected suggestion ${JSON.stringify(suggestion)}`;
  });
  if (failures > 0) throw new Error(`${label}: ${failures} failed, first: ${firstFailure}`);
  const ms = (p) => percentile(latencies, p).toFixed(2);
  console.log(`  ${label.padEnd(14)} ${String(Math.round(n / seconds)).padStart(6)} suggestions/s   p50 ${ms(50)} ms   p99 ${ms(99)} ms`);
}

console.log(`bench/intelligence-providers on ${machine()}`);
console.log(`${calls} suggestions each, sequential and ${concurrency} at a time`);

const answer = JSON.stringify({ caseType: 'refund', queue: 'refunds', priority: 'high', intent: 'duplicate_charge', confidence: 0.9, evidence: [{ feature: 'charged twice', weight: 2 }] });
const body = JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'bench', choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }] });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
{
  const latencies = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    chatRequest(request, 'bench', 'json_schema');
    suggestionOf(answer, request, { id: 'bench', version: '1' });
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  console.log(`Latch's own work per suggestion (build the request, check the answer): p50 ${percentile(latencies, 50).toFixed(3)} ms   p99 ${percentile(latencies, 99).toFixed(3)} ms`);
}
const openai = new OpenAiProvider({ id: 'bench', baseURL: `http://127.0.0.1:${server.address().port}/v1`, model: 'bench', apiKey: 'sk-bench' });
console.log('OpenAI-compatible endpoint (local server answering at once):');
await measure('sequential', openai, calls, 1);
await measure(`${concurrency} concurrent`, openai, calls, concurrency);
server.close();

const goDir = mkdtempSync(join(tmpdir(), 'latch-bench-classify-'));
try {
  execFileSync('go', ['build', '-o', join(goDir, 'classify'), './examples/classify'], { cwd: `${root}sdk/go`, stdio: 'inherit' });
  copyFileSync(`${root}sdk/go/examples/classify/latch-plugin.json`, join(goDir, 'latch-plugin.json'));
  const host = await PluginHost.start(
    [
      { id: 'keyword-classify', dir: `${root}plugins/keyword-classify`, config: {}, secrets: {} },
      { id: 'keyword-classify-go', dir: goDir, config: {}, secrets: {} },
    ],
    () => undefined,
  );
  for (const [label, id] of [['TypeScript plugin (keyword-classify)', 'keyword-classify'], ['Go plugin (examples/classify)', 'keyword-classify-go']]) {
    console.log(`${label} through PluginHost:`);
    const provider = new PluginProvider(id, host, id);
    await measure('sequential', provider, calls, 1);
    await measure(`${concurrency} concurrent`, provider, calls, concurrency);
  }
  await host.stop();
} finally {
  rmSync(goDir, { recursive: true, force: true });
}
