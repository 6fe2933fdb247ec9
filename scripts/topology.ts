// Renders docs/topology-<env>.svg and .mmd for every environment from the built overlays.
// Usage: node_modules/.bin/tsx scripts/topology.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderEnvGraph } from '@strata/graph';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
mkdirSync(join(root, 'docs'), { recursive: true });
for (const env of ['dev', 'staging', 'prod'] as const) {
  const g = await renderEnvGraph(root, env);
  // Apps written concurrently may not build yet: they are left out until they do.
  for (const s of g.skipped) console.error(`${env}: skipped ${s.app}: ${s.error}`);
  writeFileSync(join(root, 'docs', `topology-${env}.svg`), g.svg);
  writeFileSync(join(root, 'docs', `topology-${env}.mmd`), g.mermaid);
  console.log(`docs/topology-${env}.svg: ${g.apps.length} apps, ${g.topology.nodes.length} nodes, ${g.topology.edges.length} edges`);
}
