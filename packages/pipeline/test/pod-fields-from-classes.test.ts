import { describe, expect, it } from 'vitest';
import type { Problem } from '@strata/project';
import { pipeline } from '../src/index.ts';
import { templateAppsWorkspace } from '@strata/testing/workspace';

// The global default PriorityClass of one app decides the priority of the pods of every app of its
// env, as the cluster's Priority admission computes it whichever app ships the class. The pipeline
// judges them so, also when the app that runs the pods is reused from the cache and only the other
// app changed its class.

const IMPORTS = [
  "import { Pod } from 'kubernetes-models/v1/Pod';",
  "import { PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1/PriorityClass';",
];

const defaultClass = (value: number) => `new PriorityClass({ metadata: { name: 'platform-default' }, value: ${value}, globalDefault: true })`;
const pod = (name: string) =>
  `new Pod({ metadata: { name: 'probe', namespace: '${name}' }, spec: { priority: 0, containers: [{ name: 'probe', image: 'ghcr.io/acme/probe@sha256:25141dd725aa8fad66b62b8c28f04a18a00a60fb87749a3d312d776a2d94fe27' }] } })`;

const refused = (problems: readonly Problem[]) =>
  problems
    .filter((p) => p.rule === 'pod-fields-from-classes')
    .map((p) => ({ file: p.file, path: p.path, message: p.message.replace(/: the API server .*$/, '') }))
    .sort((a, b) => a.file.localeCompare(b.file));

const refusals = (value: number) =>
  ['dev', 'prod', 'staging'].map((env) => ({
    file: `dist/${env}/beta.yaml`,
    path: 'spec.priority',
    message: `the integer value of priority (0) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`,
  }));

describe("pods under another app's global default PriorityClass, judged against it in the pipeline", () => {
  const ws = templateAppsWorkspace(IMPORTS, { alpha: [defaultClass(1000)], beta: [pod('beta')] });

  it("refuses priority: 0 in every env as the other app's default class gives 1000", async () => {
    const r = await pipeline(ws.root);
    expect(r.built.failed).toBe(0);
    expect(refused(r.problems)).toStrictEqual(refusals(1000));
  });

  it('judges the reused app again when only the other app changes its default class, and when it ships none', async () => {
    ws.setObjects('alpha', [defaultClass(500)]);
    const changed = await pipeline(ws.root);
    expect(changed.reused).toBe(1);
    expect(refused(changed.problems)).toStrictEqual(refusals(500));
    ws.setObjects('alpha', []);
    const none = await pipeline(ws.root);
    expect(none.reused).toBe(1);
    expect(refused(none.problems)).toStrictEqual([]);
    // Its new verdict is remembered: a run with nothing changed says the same.
    const again = await pipeline(ws.root);
    expect(again.reused).toBe(2);
    expect(refused(again.problems)).toStrictEqual([]);
  });
});
