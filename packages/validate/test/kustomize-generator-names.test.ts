import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { validate } from '../src/index.ts';

/**
 * A kustomization's configMapGenerator and secretGenerator make objects that no file of a folder
 * walk holds: kustomize names them (prefix, generator name, hash suffix) and rewrites the references
 * to the generator's name. A reference to a generated name is no missing object; one to a name that
 * neither a generator nor an object provides still is.
 */
const repo = findRoot(import.meta.dirname);
const kustomizeBin = join(repo, '.tools', 'bin', 'kustomize');

const TREE: Record<string, string> = {
  'kustomization.yaml': `namePrefix: shop-
resources:
  - deployment.yaml
configMapGenerator:
  - name: settings
    literals: [LOG_LEVEL=debug]
  - name: plain
    literals: [MODE=fixed]
    options:
      disableNameSuffixHash: true
secretGenerator:
  - name: creds
    literals: [TOKEN=t0k3n]
`,
  'deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          envFrom:
            - configMapRef: {name: settings}
            - configMapRef: {name: absent}
            - secretRef: {name: creds}
          volumeMounts:
            - {name: settings, mountPath: /etc/settings}
            - {name: plain, mountPath: /etc/plain}
      volumes:
        - name: settings
          configMap: {name: settings}
        - name: plain
          configMap: {name: plain}
`,
};

let dir: string;
let built: { status: number | null; stdout: string; stderr: string };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-generator-names-'));
  for (const [path, text] of Object.entries(TREE)) writeFileSync(join(dir, path), text);
  built = spawnSync(kustomizeBin, ['build', dir], { encoding: 'utf8' });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a folder walk over a kustomization with generators', () => {
  it('is built by the real kustomize into the generated objects, to which it rewrites the references; the missing one stays missing', () => {
    expect(built.status, built.stderr).toBe(0);
    const settings = /name: (shop-settings-[a-z0-9]{10})\n/.exec(built.stdout)?.[1];
    const creds = /name: (shop-creds-[a-z0-9]{10})\n/.exec(built.stdout)?.[1];
    expect(settings).toBeDefined();
    expect(creds).toBeDefined();
    expect(built.stdout).toContain('name: shop-plain\n');
    // envFrom and the volume both name the generated ConfigMap; the reference no generator makes is left as written.
    expect(built.stdout.split(`name: ${settings}\n`).length - 1).toBe(3); // the object, envFrom, the volume
    expect(built.stdout).toContain(`name: ${creds}\n`);
    expect(built.stdout).toContain('name: absent\n');
    expect(built.stdout).not.toMatch(/kind: ConfigMap\n\s*metadata:\n\s*name: (shop-)?absent/);
  });

  it('counts the generated names as present: only the reference that nothing provides is reported', async () => {
    const r = await validate(repo, ['.'], { cwd: dir, serverChecks: false });
    const refs = r.problems.filter((p) => p.rule === 'resolve-references');
    expect(refs.map((p) => [p.file, p.path, p.severity, p.message])).toStrictEqual([
      [
        'deployment.yaml',
        'spec.template.spec.containers[0].envFrom[1].configMapRef.name',
        'error',
        'ConfigMap "absent" used by container "web" is not in the set: add it (or its configMapGenerator) or fix the name.',
      ],
    ]);
  });

  it('makes no name present for a file named on its own, without its kustomization', async () => {
    const r = await validate(repo, ['deployment.yaml'], { cwd: dir, serverChecks: false });
    const refs = r.problems.filter((p) => p.rule === 'resolve-references');
    expect(refs.map((p) => p.message.split(' used by')[0]).sort()).toStrictEqual([
      'ConfigMap "absent"',
      'ConfigMap "plain"',
      'ConfigMap "settings"',
      'Secret "creds"',
    ]);
  });
});
