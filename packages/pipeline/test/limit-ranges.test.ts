import { describe, expect, it } from 'vitest';
import type { Problem } from '@strata/project';
import { validate } from '@strata/validate';
import { pipeline } from '../src/index.ts';
import { templateAppsWorkspace } from '@strata/testing/workspace';

// A LimitRange of one app limits the pods of every app of its env in its namespace, as the cluster's
// LimitRanger admits pods whichever app ships the LimitRange. The pipeline judges them so, also when
// the app that runs the pods is reused from the cache and only the other app changed the LimitRange.

const IMPORTS = [
  "import { Pod } from 'kubernetes-models/v1/Pod';",
  "import { Namespace } from 'kubernetes-models/v1/Namespace';",
  "import { LimitRange } from 'kubernetes-models/v1/LimitRange';",
];

const namespace = "new Namespace({ metadata: { name: 'shared' } })";
const limitRange = (max: string) =>
  `new LimitRange({ metadata: { name: 'memory', namespace: 'shared' }, spec: { limits: [{ type: 'Container', max: { memory: '${max}' } }] } })`;
const pod =
  "new Pod({ metadata: { name: 'probe', namespace: 'shared' }, spec: { containers: [{ name: 'probe', image: 'ghcr.io/acme/probe@sha256:25141dd725aa8fad66b62b8c28f04a18a00a60fb87749a3d312d776a2d94fe27', resources: { limits: { memory: '1Gi' } } }] } })";

const limited = (problems: readonly Problem[]) =>
  problems
    .filter((p) => p.rule === 'within-limit-ranges')
    .map((p) => ({ file: p.file, path: p.path, message: p.message.replace(/: the API server .*$/, '') }))
    .sort((a, b) => a.file.localeCompare(b.file));

const refusals = (envs: readonly string[] = ['dev', 'prod', 'staging']) =>
  envs.map((env) => ({
    file: `dist/${env}/beta.yaml`,
    path: 'spec.containers[0].resources.limits.memory',
    message: 'maximum memory usage per Container is 512Mi, but limit is 1Gi',
  }));

describe('pods in a namespace another app of the env keeps a LimitRange in, judged against it in the pipeline', () => {
  const ws = templateAppsWorkspace(IMPORTS, { alpha: [namespace, limitRange('512Mi')], beta: [pod] });

  it("refuses the pod in every env as the other app's LimitRange does, in the pipeline and in validate of all or one built file", async () => {
    const r = await pipeline(ws.root);
    expect(r.built.failed).toBe(0);
    expect(limited(r.problems)).toStrictEqual(refusals());
    expect(limited((await validate(ws.root, ['dist'])).problems)).toStrictEqual(refusals());
    expect(limited((await validate(ws.root, ['dist/dev/beta.yaml'])).problems)).toStrictEqual(refusals(['dev']));
  });

  it('judges the reused app again when only the other app raises the max, and again when it lowers it back', async () => {
    ws.setObjects('alpha', [namespace, limitRange('2Gi')]);
    const raised = await pipeline(ws.root);
    expect(raised.reused).toBe(1);
    expect(limited(raised.problems)).toStrictEqual([]);
    // Its new verdict is remembered: a run with nothing changed says the same.
    const again = await pipeline(ws.root);
    expect(again.reused).toBe(2);
    expect(limited(again.problems)).toStrictEqual([]);
    ws.setObjects('alpha', [namespace, limitRange('512Mi')]);
    const lowered = await pipeline(ws.root);
    expect(lowered.reused).toBe(1);
    expect(limited(lowered.problems)).toStrictEqual(refusals());
    expect(limited((await pipeline(ws.root, { cache: false })).problems)).toStrictEqual(refusals());
  });
});
