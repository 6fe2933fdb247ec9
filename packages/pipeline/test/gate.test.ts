import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT, isRunning, lineOf } from '../../verify/test/helpers.ts';
import { editFile, strata, suiteWorkspace, treeOf } from '@strata/testing/workspace';
import { DriftError, gate } from '../src/index.ts';

const APP = 'tokenplace-relay';
/** The folders a run may write. */
const WRITTEN = ['base', 'overlays', 'gitops', 'dist'];
const errors = (problems: readonly { severity: string }[]) => problems.filter((p) => p.severity === 'error');

/** Rewrites the app's render.ts with `edit` and generates the tree from it: a change committed whole. */
function changeRender(root: string, edit: (source: string) => string): void {
  editFile(join(root, 'apps', APP, 'src', 'render.ts'), edit);
  expect(strata(root, ['generate']).status).toBe(0);
}

/** Runs `strata <args>` in `root` as a CI runner does. */
const inCi = (root: string, args: readonly string[]) => strata(root, args, undefined, { CI: 'true' });

describe('strata ci: the pipeline, then a dry run of what it built on one API server', () => {
  // The env roots and gitops/ of a workspace with this one app: CI's pipeline changes nothing.
  const ws = suiteWorkspace([APP], { generate: true, timeout: 120_000 });

  it(
    'verifies every object the pipeline built, from memory, and stops the server',
    async () => {
      let pids: readonly number[] = [];
      const r = await gate(ws.root, { onServer: (s) => (pids = s.pids) });
      expect(r.pipeline.built.results.map((b) => b.ok)).toStrictEqual([true, true, true]);
      expect(errors(r.pipeline.problems)).toStrictEqual([]);
      expect(errors(r.verified!.problems)).toStrictEqual([]);
      // The apps' objects, and each env's AppProject and ApplicationSet of gitops/.
      expect(r.pipeline.gitops).toStrictEqual({ folders: ['gitops/dev', 'gitops/staging', 'gitops/prod'], resources: 6, reused: false });
      expect(r.verified!.objects).toBe(r.pipeline.resources + 6);
      expect(r.verified!.objects).toBeGreaterThan(20);
      expect(Object.keys(r.verified!.phases)).toStrictEqual(['read', 'start', 'crds', 'namespaces', 'apply']);
      expect(pids).toHaveLength(2);
      expect(pids.filter(isRunning)).toStrictEqual([]);
    },
    BUILD_TIMEOUT,
  );

  it(
    'prints what pipeline and verify print and one summary line; an app reused from the cache is verified from dist/',
    () => {
      const r = inCi(ws.root, ['ci']);
      expect(r.stderr).toMatch(/^verify: start \d+\.\d\ds$/m);
      expect(r.stdout).toMatch(/^generate: .*; 1 of 1 app unchanged since the last run, reused/m);
      // The apps' objects and gitops/'s 6, counted together as ci's own line counts them.
      const built = /^pipeline: 1 app x 3 envs: No problems in (\d+) resources/m.exec(r.stdout)?.[1];
      expect(built).toBeDefined();
      expect(r.stdout).toMatch(/^gitops: gitops\/dev, gitops\/staging, gitops\/prod: 6 objects, unchanged since the last run, reused$/m);
      const resources = Number(built);
      expect(r.stdout).toMatch(new RegExp(`^verify: No problems in ${resources} resources`, 'm'));
      expect(r.stdout).toMatch(
        new RegExp(
          `^ci: passed: 1 app x 3 envs and gitops/, ${resources} resources generated, built, validated and ${resources} dry-run applied`,
          'm',
        ),
      );
      expect(r.status).toBe(0);
    },
    BUILD_TIMEOUT,
  );

  it(
    'reports an object only the API server refuses at its dist/ file and line, as verify does, and fails',
    () => {
      // A cluster IP outside the server's service range: the schemas, the policy and the offline
      // field checks accept any address.
      changeRender(ws.root, (source) =>
        source.replace("spec: { type: 'ClusterIP', selector", "spec: { type: 'ClusterIP', clusterIP: '10.0.0.10', selector"),
      );
      const r = inCi(ws.root, ['ci']);
      expect(r.stdout).toMatch(/^pipeline: 1 app x 3 envs: No problems in/m);
      const refused = r.stdout.split('\n').filter((l) => l.endsWith('[server-rejected]'));
      const file = 'dist/dev/tokenplace-relay.yaml';
      // The server names spec.clusterIPs, which the object lacks: the line of its spec.
      const line = lineOf(ws.root, file, 'clusterIP: 10.0.0.10') - 1;
      expect(refused.find((l) => l.startsWith(`${file}:`))).toMatch(
        new RegExp(`^${file}:${line}: v1/Service tokenplace/tokenplace-relay: spec\\.clusterIPs: .*not in the valid range`),
      );
      expect(refused).toHaveLength(3);
      expect(r.stdout).toMatch(/^verify: Found 3 problems in 3 of \d+ resources/m);
      expect(r.stdout).toMatch(/^ci: failed: 3 errors from the API server \(/m);
      expect(r.status).toBe(1);
      // The same lines as `strata verify` gives for the dist/ the run wrote.
      const verify = inCi(ws.root, ['verify']);
      expect(verify.stdout.split('\n').filter((l) => l.endsWith('[server-rejected]'))).toStrictEqual(refused);
    },
    BUILD_TIMEOUT,
  );

  it(
    'applies no object Argo CD skips, as verify does, and says how many it left out and where; the pipeline still validates them',
    () => {
      // The Service the server refuses (the test before), now annotated Skip: Argo CD never applies it.
      changeRender(ws.root, (source) =>
        source.replace(
          "metadata: m.of(NAME),\n    spec: { type: 'ClusterIP', clusterIP",
          "metadata: m.of(NAME, { annotations: { 'argocd.argoproj.io/hook': 'Skip' } }),\n    spec: { type: 'ClusterIP', clusterIP",
        ),
      );
      const r = inCi(ws.root, ['ci']);
      // The apps' objects and gitops/'s 6.
      const resources = Number(/^pipeline: 1 app x 3 envs: No problems in (\d+) resources/m.exec(r.stdout)?.[1]);
      expect(resources).toBeGreaterThan(26);
      expect(r.stdout).toMatch(new RegExp(`^verify: No problems in ${resources - 3} resources`, 'm'));
      expect(r.stdout).toMatch(
        new RegExp(`^ci: passed: .* ${resources} resources generated, built, validated and ${resources - 3} dry-run applied`, 'm'),
      );
      const where = (env: string) => {
        const file = `dist/${env}/${APP}.yaml`;
        const text = readFileSync(join(ws.root, file), 'utf8').split('\n');
        const at = text.findIndex((l, i) => l === 'kind: Service' && text.slice(i, i + 12).some((n) => n.includes('argocd.argoproj.io/hook: Skip')));
        // The object's line is that of its first key.
        const start = text.slice(0, at + 1).findLastIndex((l) => l === '---') + 2;
        return `${file}:${start} v1/Service tokenplace/tokenplace-relay`;
      };
      const note = `verify: 3 objects not applied, as Argo CD skips them (argocd.argoproj.io/hook: Skip): ${['dev', 'staging', 'prod'].map(where).join(', ')}`;
      expect(r.stderr.split('\n')).toContain(note);
      expect(r.status).toBe(0);
      expect(inCi(ws.root, ['verify']).stderr.split('\n')).toContain(note);
    },
    BUILD_TIMEOUT,
  );

  it(
    'refuses a tree that is not what the code generates as check does, writing nothing, and stops the server',
    async () => {
      const overlay = join(ws.root, 'overlays', 'prod', APP, 'kustomization.yaml');
      const digest = `sha256:${'a'.repeat(64)}`;
      writeFileSync(overlay, readFileSync(overlay, 'utf8').replace(/digest: sha256:[0-9a-f]{64}/, `digest: ${digest}`));
      const before = treeOf(ws.root, WRITTEN);
      let pids: readonly number[] = [];
      const thrown = await gate(ws.root, { onServer: (s) => (pids = s.pids) }).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(DriftError);
      const drift = thrown as DriftError;
      expect(drift.drift.map((d) => [d.file, d.kind])).toStrictEqual([[`overlays/prod/${APP}/kustomization.yaml`, 'changed']]);
      expect(drift.imageEdits.map((e) => e.command)).toStrictEqual([
        `npx strata set image --app ${APP} --env prod ghcr.io/tokenplace/${APP}@${digest}`,
      ]);
      expect(pids).toHaveLength(2);
      expect(pids.filter(isRunning)).toStrictEqual([]);

      const r = inCi(ws.root, ['ci']);
      expect(r.stdout).toContain(`--- overlays/prod/${APP}/kustomization.yaml (committed)`);
      expect(r.stdout).toMatch(/^ci: failed: 1 generated file is not what the code generates; nothing was written, built or applied/m);
      expect(r.stdout).toContain(`npx strata set image --app ${APP} --env prod ghcr.io/tokenplace/${APP}@${digest}`);
      // No git history to tell an edited overlay from a changed pin: both fixes.
      expect(r.stderr).toMatch(
        /run `npx strata generate` if the pin is the change, or the `strata set image` command above if the overlay's edit is/,
      );
      expect(r.status).toBe(1);
      expect(treeOf(ws.root, WRITTEN)).toStrictEqual(before);
    },
    BUILD_TIMEOUT,
  );
});

describe("strata ci leaves the offline copy of the server's field checks to the server itself", () => {
  const ws = suiteWorkspace([APP], { generate: true, timeout: 120_000 });

  it(
    'reports a field the server refuses once, from the dry run; a later pipeline does not reuse what ci judged without those checks',
    () => {
      // A pod template whose labels the Deployment's selector does not match: no schema says so,
      // the API server's validation does (and so does its offline copy in the pipeline).
      changeRender(ws.root, (source) =>
        source.replace('metadata: { labels: m.labels },', "metadata: { labels: { ...m.labels, 'app.kubernetes.io/name': 'elsewhere' } },"),
      );

      const ci = inCi(ws.root, ['ci']);
      const lines = ci.stdout.split('\n');
      const file = 'dist/dev/tokenplace-relay.yaml';
      expect(
        lines.filter((l) => l.startsWith(`${file}:`) && l.endsWith('[server-rejected]') && /selector.*does not match template/.test(l)),
      ).toHaveLength(1);
      expect(lines.filter((l) => l.endsWith('[server-validation]'))).toStrictEqual([]);
      expect(ci.status).toBe(1);

      // The pipeline makes the offline checks, so it judges the app again rather than take ci's verdicts.
      const run = inCi(ws.root, ['pipeline']);
      expect(run.stdout).not.toMatch(/apps? unchanged since the last run, reused/);
      expect(run.stdout.split('\n').filter((l) => l.startsWith(`${file}:`) && l.endsWith('[server-validation]'))).not.toStrictEqual([]);
      // Nor does ci take the pipeline's: they count refusals that ci's own dry run reports. What ci
      // judged, ci reuses.
      const again = inCi(ws.root, ['ci']);
      expect(again.stdout).not.toMatch(/apps? unchanged since the last run, reused/);
      expect(again.stdout.split('\n').filter((l) => l.endsWith('[server-validation]'))).toStrictEqual([]);
      expect(inCi(ws.root, ['ci']).stdout).toMatch(/1 of 1 app unchanged since the last run, reused/);
    },
    BUILD_TIMEOUT,
  );
});

describe('strata ci judges what its dry run leaves out with the offline copy of the server checks', () => {
  const ws = suiteWorkspace([APP], { generate: true, timeout: 120_000 });

  it(
    'refuses an object Argo CD skips that the server would refuse (kubectl apply -k applies it), whatever the cache holds',
    () => {
      // A key no ConfigMap may have: no schema says so, the API server's validation does.
      changeRender(ws.root, (source) =>
        source
          .replace(
            "import { Service } from 'kubernetes-models/v1/Service';",
            "import { Service } from 'kubernetes-models/v1/Service';\nimport { ConfigMap } from 'kubernetes-models/v1/ConfigMap';",
          )
          .replace(
            'return [deployment, service, ...gpu, ingress, defaultDeny, networkPolicy, ...monitors];',
            "const skipped = new ConfigMap({ metadata: m.of('skipme', { annotations: { 'argocd.argoproj.io/hook': 'Skip' } }), data: { 'bad key!': 'x' } });\n" +
              '  return [deployment, service, ...gpu, ingress, defaultDeny, networkPolicy, ...monitors, skipped];',
          ),
      );
      const refusals = (stdout: string) => stdout.split('\n').filter((l) => l.endsWith('[server-validation]'));
      const verdict = (stdout: string) => /^ci: .*(?= \()/m.exec(stdout)?.[0];

      const cold = inCi(ws.root, ['ci', '--no-cache']);
      const lines = refusals(cold.stdout);
      expect(lines).toHaveLength(3);
      for (const env of ['dev', 'staging', 'prod'])
        expect(lines.find((l) => l.startsWith(`dist/${env}/${APP}.yaml:`))).toMatch(
          / v1\/ConfigMap tokenplace\/skipme: data\[bad key!\]: .*Invalid value/,
        );
      expect(cold.stderr).toMatch(/^verify: 3 objects not applied, as Argo CD skips them/m);
      expect(verdict(cold.stdout)).toBe('ci: failed: 3 validation errors');
      expect(cold.status).toBe(1);

      // After a pipeline, which judged every object offline, and after itself: the same lines.
      const pipeline = inCi(ws.root, ['pipeline']);
      expect(refusals(pipeline.stdout)).toStrictEqual(lines);
      for (let i = 0; i < 2; i++) {
        const warm = inCi(ws.root, ['ci']);
        expect(refusals(warm.stdout)).toStrictEqual(lines);
        expect(verdict(warm.stdout)).toBe(verdict(cold.stdout));
        expect(warm.status).toBe(1);
      }
    },
    BUILD_TIMEOUT,
  );
});
