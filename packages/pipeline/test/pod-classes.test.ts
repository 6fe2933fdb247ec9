import { afterAll, describe, expect, it } from 'vitest';
import type { Environment } from '@strata/core';
import type { Problem } from '@strata/project';
import { writeEnvConfigs, writeTemplateApp } from '@strata/testing/workspace-copy';
import { pipeline } from '../src/index.ts';
import { repo, tempWorkspace } from '@strata/testing/workspace';

// A workload whose pods name a PriorityClass that nothing in its env creates: the API server admits
// it and refuses every pod it makes, so the pipeline names it at the field, also when the app is
// reused from the cache.

/** Writes the app `name` from the new-app template, its pods naming `classes[env]`. */
function writeApp(root: string, name: string, classes: Record<Environment, string>): void {
  writeTemplateApp(repo, root, name, {
    setting: { name: 'priorityClassName', type: 'string', value: "'system-node-critical'" },
    render: [['spec: hardenedPodSpec({ runAs:', 'spec: hardenedPodSpec({ priorityClassName: c.priorityClassName, runAs:']],
  });
  writeEnvConfigs(root, name, (env) => `{ priorityClassName: '${classes[env]}' }`);
}

const unknown = (problems: readonly Problem[]) => problems.filter((p) => p.rule === 'pod-class-exists').map((p) => [p.file, p.path, p.severity]);

describe('the PriorityClass pods name, in the pipeline', () => {
  const ws = tempWorkspace([]);
  afterAll(() => ws.dispose());
  writeApp(ws.root, 'alpha', { dev: 'hihg', staging: 'system-cluster-critical', prod: 'system-node-critical' });

  it('warns at the field that the class must exist in the cluster, again when the app is reused', async () => {
    const expected = [['dist/dev/alpha.yaml', 'spec.template.spec.priorityClassName', 'warning']];
    const r = await pipeline(ws.root);
    expect(r.reused).toBe(0);
    expect(unknown(r.problems)).toStrictEqual(expected);
    expect(r.problems.find((p) => p.rule === 'pod-class-exists')?.message).toMatch(
      /^no PriorityClass with name hihg was found among the apps of dev: it must exist in the cluster before the pods start/,
    );
    const again = await pipeline(ws.root);
    expect(again.reused).toBe(1);
    expect(unknown(again.problems)).toStrictEqual(expected);
  });
});
