#!/usr/bin/env node
// `npm run kit`: the air-gapped install kit, dist/latch-<version>-linux-<arch>.tar.gz. It holds the
// built server, console and plugins, the example configuration, the production node_modules only
// (installed here from the lockfile, from npm's cache when it has them), this machine's Node.js
// binary, bin/latch, install.sh, the systemd unit and container recipe, and SHA256SUMS. Installing
// it needs no registry, no compiler and no Node.js on the target (docs/operations.md).
//
// Run after `npm run build` (the `kit` script does both). Options: --out <dir> (default dist/).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { version, workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1] : join(root, 'dist');
const arch = { x64: 'x64', arm64: 'arm64' }[process.arch] ?? process.arch;
const name = `latch-${version}-${process.platform}-${arch}`;
const staging = join(out, '.kit-staging');
const kit = join(staging, name);

/**
 * What each workspace brings besides package.json (whichever exist): no sources, no tests. The
 * native SHA-256 batch was built at install (packages/core/native) for this machine's Node.js, the
 * one the kit carries.
 */
const RUNTIME_PARTS = ['dist', 'bin', 'drizzle', 'schemas', 'latch-plugin.json', 'README.md', 'native/build/Release/latch_native.node'];
const isTestFile = (path) => /\.test\.(js|d\.ts|js\.map|d\.ts\.map)$/.test(path) || /\.e2e\./.test(path);

function say(line) {
  process.stderr.write(`kit: ${line}\n`);
}

function fail(line) {
  say(line);
  process.exit(1);
}

function copyWorkspaces() {
  for (const workspace of workspaces) {
    const from = join(root, workspace);
    const to = join(kit, workspace);
    mkdirSync(to, { recursive: true });
    copyFileSync(join(from, 'package.json'), join(to, 'package.json'));
    for (const part of RUNTIME_PARTS) {
      if (!existsSync(join(from, part))) continue;
      cpSync(join(from, part), join(to, part), { recursive: true, filter: (path) => !isTestFile(path) });
    }
  }
  for (const built of ['packages/server/dist/cli/main.js', 'packages/web/dist/index.html']) {
    if (!existsSync(join(kit, built))) fail(`${built} is missing: run \`npm run build\` first (or \`npm run kit\`, which does)`);
  }
}

/** The production dependencies, exactly as the lockfile pins them; no install scripts run. */
function installProductionModules() {
  copyFileSync(join(root, 'package.json'), join(kit, 'package.json'));
  copyFileSync(join(root, 'package-lock.json'), join(kit, 'package-lock.json'));
  say('npm ci --omit=dev (from the npm cache where it can)');
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: kit,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
}

function write(path, text, mode = 0o644) {
  mkdirSync(dirname(join(kit, path)), { recursive: true });
  writeFileSync(join(kit, path), text);
  chmodSync(join(kit, path), mode);
}

function addRuntimeAndScripts() {
  mkdirSync(join(kit, 'node', 'bin'), { recursive: true });
  copyFileSync(process.execPath, join(kit, 'node', 'bin', 'node'));
  chmodSync(join(kit, 'node', 'bin', 'node'), 0o755);
  cpSync(join(root, 'config'), join(kit, 'config'), { recursive: true });
  for (const file of ['latch.service', 'Containerfile', 'latch.env.example']) copyFileSync(join(root, 'deploy', file), join(kit, 'deploy', file));
  write('bin/latch', readFileSync(join(root, 'deploy', 'latch.sh'), 'utf8'), 0o755);
  write('install.sh', readFileSync(join(root, 'deploy', 'install.sh'), 'utf8'), 0o755);
  write('VERSION', `${version}\nnode ${process.version}\n`);
}

/** Every regular file of the kit, sorted, relative to it. */
function filesOf(dir, base = dir) {
  const found = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    const stat = lstatSync(path);
    if (stat.isDirectory()) found.push(...filesOf(path, base));
    else if (stat.isFile()) found.push(relative(base, path));
  }
  return found;
}

function writeChecksums() {
  const lines = filesOf(kit)
    .filter((file) => file !== 'SHA256SUMS')
    .map((file) => `${createHash('sha256').update(readFileSync(join(kit, file))).digest('hex')}  ./${file}`);
  writeFileSync(join(kit, 'SHA256SUMS'), `${lines.join('\n')}\n`);
  return lines.length;
}

rmSync(staging, { recursive: true, force: true });
mkdirSync(join(kit, 'deploy'), { recursive: true });
copyWorkspaces();
installProductionModules();
addRuntimeAndScripts();
const files = writeChecksums();
const tarball = join(out, `${name}.tar.gz`);
execFileSync('tar', ['-C', staging, '--owner=0', '--group=0', '--numeric-owner', '-czf', tarball, name]);
rmSync(staging, { recursive: true, force: true });
say(`${files} files, node ${process.version}`);
process.stdout.write(`${tarball}\n`);
