import { afterAll, describe, expect, it } from 'vitest';
import type { Problem } from '@strata/project';
import { setTemplateObjects, writeTemplateApp } from '@strata/testing/workspace-copy';
import { validate } from '@strata/validate';
import { pipeline } from '../src/index.ts';
import { repo, tempWorkspace } from '@strata/testing/workspace';

// A pod in a namespace that another app of its env creates is refused by the Pod Security level that
// Namespace enforces, as the cluster admits pods whichever app ships the Namespace. The pipeline judges
// it so, also when the app that runs the pod is reused from the cache and only the other app changed
// the Namespace's label.

/** Renders the new-app template's objects and `objects` (TypeScript expressions) after them. */
const setObjects = (root: string, name: string, objects: readonly string[]) =>
  setTemplateObjects(
    root,
    name,
    ["import { Pod } from 'kubernetes-models/v1/Pod';", "import { Namespace } from 'kubernetes-models/v1/Namespace';"],
    objects,
  );

const namespace = (level: string) => `new Namespace({ metadata: { name: 'shared', labels: { 'pod-security.kubernetes.io/enforce': '${level}' } } })`;
// A pod that baseline admits and restricted refuses: it leaves the restricted hardening unset.
const pod =
  "new Pod({ metadata: { name: 'probe', namespace: 'shared' }, spec: { containers: [{ name: 'probe', image: 'ghcr.io/acme/probe@sha256:25141dd725aa8fad66b62b8c28f04a18a00a60fb87749a3d312d776a2d94fe27' }] } })";

/** By file and field, whatever the order of their lines. */
const ordered = <T extends { file: string; path?: string }>(items: T[]) =>
  items.sort((a, b) => a.file.localeCompare(b.file) || (a.path ?? '').localeCompare(b.path ?? ''));

const admission = (problems: readonly Problem[]) =>
  ordered(problems.filter((p) => p.rule === 'namespace-admits-pods').map((p) => ({ file: p.file, path: p.path, message: p.message })));

/** What restricted refuses of the pod in each env, naming the Namespace and the file of the other app that ships it. */
const refusals = (envs: readonly string[] = ['dev', 'prod', 'staging']) =>
  ordered(
    envs.flatMap((env) =>
      (
        [
          ['spec.containers[0].securityContext.allowPrivilegeEscalation', 'allowPrivilegeEscalation != false'],
          ['spec.securityContext.runAsNonRoot', 'runAsNonRoot != true'],
          ['spec.securityContext.seccompProfile.type', 'seccompProfile'],
          ['spec.containers[0].securityContext.capabilities.drop', 'unrestricted capabilities'],
        ] as const
      ).map(([path, reason]) => ({
        file: `dist/${env}/beta.yaml`,
        path,
        message: expect.stringMatching(
          new RegExp(
            `Namespace shared \\(dist/${env}/alpha\\.yaml\\) enforces Pod Security restricted:latest \\(pod-security\\.kubernetes\\.io/enforce: restricted\\), so the API server refuses this Pod \\(${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)\\.$`,
          ),
        ),
      })),
    ),
  );

describe('pods in a namespace another app of the env creates, judged against its Pod Security label in the pipeline', () => {
  const ws = tempWorkspace([]);
  afterAll(() => ws.dispose());
  writeTemplateApp(repo, ws.root, 'alpha');
  setObjects(ws.root, 'alpha', [namespace('restricted')]);
  writeTemplateApp(repo, ws.root, 'beta');
  setObjects(ws.root, 'beta', [pod]);

  it("refuses the pod in every env as the other app's restricted Namespace does, in the pipeline and in validate of all or one built file", async () => {
    const r = await pipeline(ws.root);
    expect(r.built.failed).toBe(0);
    expect(admission(r.problems)).toStrictEqual(refusals());
    expect(admission((await validate(ws.root, ['dist'])).problems)).toStrictEqual(refusals());
    // One app's built output alone is judged against the Namespaces of the rest of its env.
    expect(admission((await validate(ws.root, ['dist/dev/beta.yaml'])).problems)).toStrictEqual(refusals(['dev']));
  });

  it('judges the reused app again when only the other app lowers the label, and again when it raises it back', async () => {
    setObjects(ws.root, 'alpha', [namespace('baseline')]);
    const lowered = await pipeline(ws.root);
    expect(lowered.reused).toBe(1);
    expect(admission(lowered.problems)).toStrictEqual([]);
    // Its new verdict is remembered: a run with nothing changed says the same.
    const again = await pipeline(ws.root);
    expect(again.reused).toBe(2);
    expect(admission(again.problems)).toStrictEqual([]);
    setObjects(ws.root, 'alpha', [namespace('restricted')]);
    const raised = await pipeline(ws.root);
    expect(raised.reused).toBe(1);
    expect(admission(raised.problems)).toStrictEqual(refusals());
    expect(admission((await pipeline(ws.root, { cache: false })).problems)).toStrictEqual(refusals());
  });
});
