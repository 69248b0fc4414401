import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { schemaFileContent, schemaFiles, type SchemaName } from './schemas/index.js';

// Regenerates packages/protocol/schemas/*.json from the TypeScript objects (the source of
// truth); a test fails when the files are stale. Run: npm run schemas -w @latch/protocol
const dir = fileURLToPath(new URL('../schemas/', import.meta.url));
for (const name of Object.keys(schemaFiles) as SchemaName[]) {
  writeFileSync(dir + schemaFiles[name], schemaFileContent(name));
  console.log(`wrote schemas/${schemaFiles[name]}`);
}
