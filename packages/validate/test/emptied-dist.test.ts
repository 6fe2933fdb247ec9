import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { deployment, makeRepo } from '../../verify/test/helpers.ts';
import { validate } from '../src/index.ts';

let repo: string | undefined;
afterEach(() => {
  if (repo) rmSync(repo, { recursive: true, force: true });
  repo = undefined;
});

/** A built repository of two apps in dev, with the project's pinned tools linked in. */
function twoApps(namespace: string): string {
  repo = makeRepo({ 'dev/web': [deployment('web', namespace)], 'dev/api': [deployment('api', namespace)] });
  symlinkSync(join(import.meta.dirname, '../../../.tools'), join(repo, '.tools'));
  return repo;
}

describe('validate of the built output', () => {
  it('refuses a built file that holds no object while its overlay builds into some, naming it and how to build it again', async () => {
    const root = twoApps('emptied');
    writeFileSync(join(root, 'dist/dev/web.yaml'), '');
    const r = await validate(root, ['dist'], { policy: false, serverChecks: false });
    expect(r.problems.filter((p) => p.rule === 'no-objects')).toStrictEqual([
      {
        file: 'dist/dev/web.yaml',
        message: 'holds no Kubernetes objects, but overlays/dev/web builds into 1; build it again with `npx strata build` (or `npx strata pipeline`)',
        rule: 'no-objects',
        severity: 'error',
      },
    ]);
    expect(r.resources).toBe(1);
  });

  it('takes an empty built file whose overlay builds into nothing: an app may render no object in an env', async () => {
    const root = twoApps('none');
    // What generate writes for an env in which the app renders nothing: a patch deleting each object of its base.
    writeFileSync(
      join(root, 'overlays/dev/web/kustomization.yaml'),
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: ['object-0.yaml'],
        patches: [
          { patch: stringify({ $patch: 'delete', apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'none' } }) },
        ],
      }),
    );
    writeFileSync(join(root, 'dist/dev/web.yaml'), '');
    const r = await validate(root, ['dist'], { policy: false, serverChecks: false });
    expect(r.problems.filter((p) => p.rule === 'no-objects')).toStrictEqual([]);
  });
});
