import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureHelper, notCheckedNote } from '@strata/server-validation';
import { writeTemplateApp } from '@strata/testing/workspace-copy';
import { pipeline, type PipelineResult } from '../src/index.ts';
import { repo, tempWorkspace } from '@strata/testing/workspace';

// The server's offline checks name, in a note, the kinds whose create needs a cluster. An app
// reused from the cache is not checked again, and the note must say what the run that judged it said.

/** Writes the app `name` from the new-app template, with a Binding added when `binding`. */
function writeApp(root: string, name: string, binding: boolean): void {
  writeTemplateApp(repo, root, name);
  if (binding) {
    const path = join(root, 'apps', name, 'src/render.ts');
    const text = readFileSync(path, 'utf8');
    const from = "import { Service } from 'kubernetes-models/v1/Service';";
    const end = /\n {2}\];\n\}\n$/;
    expect(text).toContain(from);
    expect(text).toMatch(end);
    const object = `    new Binding({ metadata: m.of('${name}-node'), target: { kind: 'Node', name: 'node-1' } }),`;
    writeFileSync(
      path,
      text.replace(from, `${from}\nimport { Binding } from 'kubernetes-models/v1/Binding';`).replace(end, `\n${object}\n  ];\n}\n`),
    );
  }
}

/** Changes the app's dev replicas, so that the next run renders it again. */
function touch(root: string, name: string, replicas: number): void {
  const path = join(root, 'apps', name, 'src/env/dev.ts');
  writeFileSync(
    path,
    [
      "import type { EnvironmentDefinition } from '@strata/core';",
      "import type { Config } from '../config.ts';",
      '',
      `export const dev: EnvironmentDefinition<Config> = { config: { replicas: ${replicas} } };`,
      '',
    ].join('\n'),
  );
}

const report = (r: PipelineResult) => ({ problems: r.problems, resources: r.resources, notes: r.notes });

describe('the note on kinds whose create needs a cluster, in the pipeline', () => {
  const ws = tempWorkspace([]);
  afterAll(() => ws.dispose());
  writeApp(ws.root, 'alpha', false);
  writeApp(ws.root, 'beta', true);
  beforeAll(async () => {
    await ensureHelper();
  }, 20 * 60_000);

  it('is the same whether the app that holds such a kind was judged in this run or reused', async () => {
    const first = await pipeline(ws.root);
    expect(first.reused).toBe(0);
    expect(first.notes).toStrictEqual([notCheckedNote(['v1 Binding'])]);
    // Every app reused.
    const all = await pipeline(ws.root);
    expect(all.reused).toBe(2);
    expect(report(all)).toStrictEqual(report(first));
    // The app with the Binding reused, the other judged again.
    touch(ws.root, 'alpha', 2);
    const some = await pipeline(ws.root);
    expect(some.reused).toBe(1);
    expect(some.notes).toStrictEqual(first.notes);
    // Without the server's checks nothing is said of them, reused apps or not.
    touch(ws.root, 'alpha', 3);
    expect((await pipeline(ws.root, { serverChecks: false })).notes).toStrictEqual([]);
  });
});
