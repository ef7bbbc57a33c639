// Fails when openapi.d.ts is not what openapi-typescript makes of the committed openapi/session-api.json, so the
// client's types can never drift from the contract: a change to the document needs `npm run generate` here too.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = fileURLToPath(new URL('node_modules/openapi-typescript/bin/cli.js', import.meta.url));
// Without --output the CLI writes to stdout exactly what `npm run generate` writes to the file.
const run = spawnSync(process.execPath, [cli, '../../openapi/session-api.json'], { cwd: here, encoding: 'utf8' });
if (run.status !== 0) {
  console.error(`openapi-typescript failed (exit ${run.status}):\n${run.stderr}`);
  process.exit(1);
}
const normalize = (text) => text.replace(/\r\n/g, '\n');
const generated = normalize(run.stdout);
const committed = normalize(readFileSync(new URL('openapi.d.ts', import.meta.url), 'utf8'));
if (generated !== committed) {
  const lines = [generated.split('\n'), committed.split('\n')];
  const line = lines[0].findIndex((text, i) => text !== lines[1][i]);
  console.error(
    `samples/spa/openapi.d.ts differs from what openapi-typescript generates from openapi/session-api.json ` +
    `(first at line ${(line < 0 ? lines[0].length : line) + 1}).\n` +
    `Regenerate it and review the diff: (cd samples/spa && npm run generate)`);
  process.exit(1);
}
