import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `latch verify <bundle>` is what an auditor runs, often on a laptop with nothing of Latch but the
// CLI: it must load the offline verifier and nothing else. Loading the server, the database drivers
// or the policy engine took it from 0.6 s to 1.6 s for a 10,000-event bundle (verifying is 0.1 s
// of that). This walks the static imports of the built modules (dynamic imports load on demand).

const packages = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const STATIC_IMPORT = /^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"]([^'"]+)['"]/gm;

/** Where a specifier leads: a built file of ours, or the name of a package from outside. */
function resolveSpecifier(from: string, specifier: string): { file: string } | { external: string } {
  if (specifier.startsWith('.')) return { file: resolve(dirname(from), specifier) };
  if (specifier.startsWith('@latch/')) {
    const [, name, ...rest] = specifier.split('/');
    const manifest = JSON.parse(readFileSync(join(packages, name!, 'package.json'), 'utf8')) as { exports: Record<string, { default: string }> };
    const entry = manifest.exports[rest.length === 0 ? '.' : `./${rest.join('/')}`];
    if (entry === undefined) throw new Error(`${specifier}: not exported by @latch/${name}`);
    return { file: join(packages, name!, entry.default) };
  }
  return { external: specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]! };
}

function staticGraph(entry: string): { files: string[]; externals: Set<string> } {
  const files = new Set<string>([entry]);
  const externals = new Set<string>();
  for (const file of files) {
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const target = resolveSpecifier(file, specifier!);
      if ('file' in target) files.add(target.file);
      else externals.add(target.external);
    }
  }
  return { files: [...files].map((f) => relative(packages, f)), externals };
}

describe('latch verify <bundle> loads only the offline verifier', () => {
  const { files, externals } = staticGraph(join(packages, 'server/dist/cli/verify-bundle-file.js'));

  it('reaches the verifier through @latch/core/verify', () => {
    expect(files).toContain('core/dist/proof/verify-bundle.js');
    expect(files).toContain('core/dist/verify-offline.js');
  });

  it('loads no server, database, audit or policy module, and not the whole of @latch/core', () => {
    const heavy = files.filter((f) => /^server\/dist\/(db|audit|api|runtime|config)\b|with-latch|^core\/dist\/(index|policy\/)/.test(f));
    expect(heavy).toEqual([]);
  });

  it('loads no package from outside but the JSON canonicaliser: no database driver, ORM or expression engine', () => {
    expect([...externals].filter((name) => !name.startsWith('node:')).sort()).toEqual(['canonicalize']);
  });
});
