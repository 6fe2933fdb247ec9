import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editFile, strata, suiteWorkspace, type Run } from '@strata/testing/workspace';

// On a fresh clone verify builds the server binaries first (minutes, once per machine).
const BUILD_TIMEOUT = 15 * 60_000;
const APP = 'tokenplace-relay';

// The workspace's strata.config.json runs prod on Kubernetes 1.35 (every other env on 1.36) and makes
// no-deprecated-api an error there. An env's overlay folder, which kubectl apply -k and Argo CD deploy,
// is judged as that env, as its built output in dist/ is, however its path is spelt.

/** admissionregistration.k8s.io/v1 MutatingAdmissionPolicyBinding: served from Kubernetes 1.36 on. */
const BINDING = 'apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingAdmissionPolicyBinding\nmetadata: {name: x}\nspec:\n  policyName: p\n';
const tooNew = (file: string) =>
  `${file}:1: admissionregistration.k8s.io/v1/MutatingAdmissionPolicyBinding x: no schema for admissionregistration.k8s.io/v1 MutatingAdmissionPolicyBinding in Kubernetes 1.35.0: that release does not serve this kind at this apiVersion; Kubernetes 1.36 is the first that does`;

/** The workspace's own `strata`, run in `cwd` (a folder inside the workspace). */
function strataIn(root: string, cwd: string, args: readonly string[]): Run {
  const r = spawnSync(process.execPath, [join(root, 'packages/cli/bin/strata.mjs'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Adds the binding to an env's overlay of the app. */
function addBinding(root: string, env: string): void {
  writeFileSync(join(root, 'overlays', env, APP, 'binding.yaml'), BINDING);
  editFile(join(root, 'overlays', env, APP, 'kustomization.yaml'), (text) => text.replace(/^resources:\n/m, 'resources:\n  - binding.yaml\n'));
}

const schemaLines = (r: Run) => r.stdout.split('\n').filter((l) => l.endsWith('[schema]'));

describe("an env's overlays are judged as that env", () => {
  const ws = suiteWorkspace([APP], { generate: true, timeout: 120_000 });

  it("against the Kubernetes version of the env's clusters, under any spelling of the path, each env of a run as its own", () => {
    addBinding(ws.root, 'prod');
    addBinding(ws.root, 'dev');
    const prod = `overlays/prod/${APP}/binding.yaml`;
    const absolute = join(ws.root, 'overlays', 'prod', APP);
    for (const path of [`overlays/prod/${APP}`, 'overlays/prod', `./overlays//prod/../prod/${APP}`, absolute]) {
      const r = strata(ws.root, ['validate', '--no-policy', path]);
      // A folder named by its absolute path names its files by theirs, as kubectl -f does.
      const file = path === absolute ? join(absolute, 'binding.yaml') : prod;
      expect(schemaLines(r), path).toStrictEqual([`${tooNew(file)} [schema]`]);
      expect(r.status, path).toBe(1);
    }
    // From inside the folder, named as typed.
    const inside = strataIn(ws.root, join(ws.root, 'overlays', 'prod', APP), ['validate', '--no-policy', '.']);
    expect(schemaLines(inside)).toStrictEqual([`${tooNew('binding.yaml')} [schema]`]);
    expect(inside.status).toBe(1);
    // dev runs 1.36: its overlay passes, alone and beside prod's, whatever --env the run names.
    const dev = strata(ws.root, ['validate', '--no-policy', '--env', 'prod', `overlays/dev/${APP}`]);
    expect(schemaLines(dev)).toStrictEqual([]);
    expect(dev.status).toBe(0);
    const both = strata(ws.root, ['validate', '--no-policy', `overlays/dev/${APP}`, `overlays/prod/${APP}`]);
    expect(schemaLines(both)).toStrictEqual([`${tooNew(prod)} (in overlays/prod/${APP}) [schema]`]);
    expect(both.status).toBe(1);
  });

  it("with the env's policy severities: prod's overlay with an image by tag alone fails require-image-digest without --env", () => {
    const file = join(ws.root, 'overlays', 'prod', APP, 'kustomization.yaml');
    editFile(file, (text) => text.replace(/^ {4}digest: sha256:[0-9a-f]+$/m, '    newTag: "1.5.0"'));
    // Placed at the images: entry that sets the tag, the one to fix.
    const line = readFileSync(file, 'utf8').split('\n').indexOf(`  - name: ghcr.io/tokenplace/${APP}`) + 1;
    expect(line).toBeGreaterThan(1);
    const r = strata(ws.root, ['validate', `overlays/prod/${APP}`]);
    expect(r.stdout.split('\n').filter((l) => l.includes('[require-image-digest]'))).toStrictEqual([
      `overlays/prod/${APP}/kustomization.yaml:${line}: apps/v1/Deployment tokenplace/${APP}: spec.template.spec.containers[0].image: Container "relay" uses image "ghcr.io/tokenplace/${APP}:1.5.0", which is not pinned by digest: give the env an image digest so it renders as repo@sha256:<digest>. [require-image-digest]`,
    ]);
    expect(r.status).toBe(1);
  });

  it(
    "verify of an env's overlay says which version its clusters run, as for the apps' built output",
    () => {
      const r = strata(ws.root, ['verify', `overlays/prod/${APP}`]);
      expect(r.stderr.split('\n')).toContain(
        'verify: prod runs Kubernetes 1.35, this server 1.36: what 1.35 does not serve is reported by validate and the pipeline, not here',
      );
      const dev = strata(ws.root, ['verify', `overlays/dev/${APP}`]);
      expect(dev.stderr).not.toMatch(/runs Kubernetes/);
    },
    BUILD_TIMEOUT,
  );
});
