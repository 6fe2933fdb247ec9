// Writes the generated gitops/ folder (the Argo CD and/or Flux files strata.config.json asks for)
// for every app with overlays. Usage: node_modules/.bin/tsx scripts/gitops.ts
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENVIRONMENTS } from '@strata/core';
import { loadSettings, writeGitops } from '@strata/gitops';
import { Layout } from '@strata/project';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const apps = readdirSync(join(root, Layout.apps), { withFileTypes: true })
  .filter((d) => d.isDirectory() && ENVIRONMENTS.every((env) => existsSync(join(root, Layout.overlayKustomization(env, d.name)))))
  .map((d) => d.name);

let result: Awaited<ReturnType<typeof writeGitops>>;
try {
  result = await writeGitops(root, loadSettings(root), apps);
} catch (e) {
  // One line, and the exit codes of the strata command: 2 when a tool failed or strata was set up
  // wrongly, so the input was never judged; 1 for invalid input.
  console.error(`gitops: ${(e as Error).message}`);
  process.exit(['UsageError', 'ToolError', 'ToolMissingError', 'TreeBusyError'].includes((e as Error).name) ? 2 : 1);
}
// Apps written concurrently may not build yet: they are left out until they do.
for (const s of result.skipped) console.error(`skipped ${s.app}: ${s.error}`);
console.log(`${Layout.gitops}/: ${result.apps.length} apps; wrote ${result.written.length} files, removed ${result.removed.length}`);
