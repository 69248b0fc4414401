// How long `latch config check` takes on the shipped configuration (config/), against the loaders alone:
// the check compiles each case type once (what a start or a reload then loads), so it should cost about
// one load plus a little. Run after `npm run build`: node bench/config-check.mjs [rounds]
import { checkConfig } from '../packages/server/dist/config-check/check-config.js';
import { loadCaseTypeFiles } from '../packages/server/dist/case-types/registry.js';
import { machine, percentile, root } from './lib.mjs';

const rounds = Number(process.argv[2] ?? 20);
const dir = `${root}config`;
const time = async (work) => {
  const start = performance.now();
  await work();
  return performance.now() - start;
};
await checkConfig(dir); // warm-up: module loading and the first compiles
const check = [];
const load = [];
for (let i = 0; i < rounds; i++) {
  check.push(await time(() => checkConfig(dir)));
  load.push(await time(() => loadCaseTypeFiles(dir)));
}
const ms = (values, p) => percentile([...values].sort((a, b) => a - b), p).toFixed(1);
const report = await checkConfig(dir);
console.log(machine());
console.log(`config/: ${report.caseTypes.length} case type files, ${report.problems.length} problem(s); ${rounds} rounds`);
console.log(`latch config check (files, no database): p50 ${ms(check, 50)} ms, p95 ${ms(check, 95)} ms`);
console.log(`case type loader alone:                  p50 ${ms(load, 50)} ms, p95 ${ms(load, 95)} ms`);
