import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  ciOfflinePnpmEnv,
  expectAppAdded,
  expectAppGenerated,
  expectAppNotAdded,
  expectRefusedBesideStray,
  suiteInstalledCopy,
} from '@strata/testing/workspace-copy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyWorkspace, envFlags, fixtures, repo } from './workspace.ts';

/** The `strata` command of the workspace at `root` (the repository's unless told), run in `cwd`. */
const strata = (cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, root = repo) => {
  const r = spawnSync(process.execPath, [join(root, 'packages/cli/bin/strata.mjs'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...env, FORCE_COLOR: '0' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('strata import (the command)', () => {
  let ws: ReturnType<typeof emptyWorkspace>;
  beforeAll(() => {
    ws = emptyWorkspace();
  });
  afterAll(() => ws.dispose());

  /**
   * Runs `run` with `namespaces` listed in kubernetes.namespaces of strata.config.json, as created by
   * the platform: an app's objects outside its Argo CD destination need a namespace something creates.
   */
  const withPlatformNamespaces = <T>(namespaces: readonly string[], run: () => T): T => {
    const file = join(ws.root, 'strata.config.json');
    const before = readFileSync(file, 'utf8');
    const config = JSON.parse(before) as { kubernetes?: Record<string, unknown> };
    config.kubernetes = { ...config.kubernetes, namespaces };
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
    try {
      return run();
    } finally {
      writeFileSync(file, before);
    }
  };

  it('prints where each Secret went, the files and the proof, and exits 0', { timeout: 120_000 }, () => {
    const r = strata(ws.root, ['import', '--name', 'ledger', '--no-install', ...envFlags((e) => join(fixtures, 'plain', e))]);
    expect(r.stderr).toMatch(
      /^warning: dev: Secret ledger-dev\/ledger-db: values not imported; an ExternalSecret now reads password from ClusterSecretStore secret-store at key ledger\/dev\/ledger-db/m,
    );
    // The original's policy findings: one line per rule, saying what clears it.
    expect(r.stderr).toMatch(
      /^policy: require-run-as-non-root: \d+ findings of the original \(.*\) excepted in apps\/ledger\/src\/app\.ts, as imported; to clear them, build the pods with hardenedPodSpec/m,
    );
    expect(r.stdout).toContain('created apps/ledger/src/render.ts');
    expect(r.stdout).toMatch(
      /import: apps\/ledger builds to its sources in every env \(objects: dev 6, staging 5, prod 5\); next: npx pnpm install && npx strata generate/,
    );
    expect(r.status).toBe(0);
  });

  it('says on its summary line what the cluster and kubectl kept on the objects it left out', { timeout: 120_000 }, () => {
    const source = join(fixtures, 'exported', 'from-cluster.yaml');
    const r = strata(ws.root, ['import', '--name', 'expapp', '--no-install', ...envFlags(() => source)]);
    expect(r.stdout).toMatch(
      /^import: apps\/expapp builds to its sources in every env \(objects: dev 2, staging 2, prod 2\); left out what the cluster or kubectl kept on 2 objects: annotation deployment\.kubernetes\.io\/revision, metadata\.creationTimestamp, metadata\.generation, metadata\.managedFields, metadata\.resourceVersion, metadata\.selfLink, metadata\.uid, status; next: /m,
    );
    expect(r.status).toBe(0);
  });

  it('imports the same RoleBinding in two namespaces, one file each, proven by the real kustomize build', { timeout: 120_000 }, () => {
    const source = join(ws.root, 'two-bindings.yaml');
    const binding = (namespace: string) =>
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: reader, namespace: ${namespace}}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{kind: ServiceAccount, name: bot, namespace: ops}]\n`;
    writeFileSync(source, `${binding('team-a')}---\n${binding('team-b')}`);
    // The app's Argo CD Application creates team-a, its destination; the platform creates team-b.
    const r = withPlatformNamespaces(['team-b'], () => strata(ws.root, ['import', '--name', 'rbx', '--no-install', ...envFlags(() => source)]));
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^import: apps\/rbx builds to its sources in every env \(objects: dev 2, staging 2, prod 2\)/m);
    expect(r.status).toBe(0);
    const base = readFileSync(join(ws.root, 'base/rbx/kustomization.yaml'), 'utf8');
    expect(base).toContain('  - rolebinding@team-a.reader.yaml\n  - rolebinding@team-b.reader.yaml\n');
    for (const namespace of ['team-a', 'team-b']) {
      expect(readFileSync(join(ws.root, `base/rbx/rolebinding@${namespace}.reader.yaml`), 'utf8')).toContain(`namespace: ${namespace}\n`);
    }
  });

  it('refuses an unsupported feature in one line with exit 1, and a missing env with exit 2', () => {
    const helm = strata(ws.root, ['import', '--name', 'gateway', ...envFlags((e) => join(fixtures, 'unsupported', e === 'dev' ? 'helm' : 'plain'))]);
    expect(helm.stderr.trim().split('\n')).toHaveLength(1);
    expect(helm.stderr).toMatch(/^strata: .*unsupported\/helm\/kustomization\.yaml: helmCharts: Helm inflation cannot be imported faithfully/);
    expect(helm.status).toBe(1);
    const missing = strata(ws.root, ['import', '--name', 'gateway', '--env', `dev=${join(fixtures, 'plain', 'dev')}`]);
    expect(missing.stderr).toMatch(/missing --env staging=PATH --env prod=PATH; every env needs its source/);
    expect(missing.status).toBe(2);
    expect(existsSync(join(ws.root, 'apps/gateway'))).toBe(false);
  });

  it(
    'refuses objects in default or a kube- namespace, one line each at its file and line, unless --allow-system-namespace',
    { timeout: 120_000 },
    () => {
      const app = join(fixtures, 'system-namespace/plain/app.yaml');
      const reason =
        'which Kubernetes keeps for itself (default, and every kube- name): give its objects a namespace of their own, or import with --allow-system-namespace if the app belongs there; nothing was written';
      const plain = strata(ws.root, ['import', '--name', 'agent', '--no-install', ...envFlags(() => join(fixtures, 'system-namespace/plain'))]);
      expect(plain.stderr.trimEnd().split('\n')).toStrictEqual([
        `strata: ${app}:2: v1/ConfigMap kube-system/agent-settings would be in the namespace "kube-system", ${reason}`,
        `strata: ${app}:10: v1/Service default/agent would be in the namespace "default", ${reason}`,
      ]);
      expect(plain.status).toBe(1);
      expect(existsSync(join(ws.root, 'apps/agent'))).toBe(false);

      // Set by a kustomization: each object at its own file, and the line that puts it there. A file
      // outside every source typed is named from the folder the command runs in.
      const source = join(fixtures, 'deployment-service');
      const kustomized = strata(ws.root, [
        'import',
        '--name',
        'ledger-public',
        '--no-install',
        ...envFlags((e) => (e === 'prod' ? join(fixtures, 'system-namespace/kustomize') : join(source, 'overlays', e))),
      ]);
      const set = `(set at ${join(fixtures, 'system-namespace/kustomize/kustomization.yaml')}:4)`;
      expect(kustomized.stderr.trimEnd().split('\n').sort()).toStrictEqual([
        `strata: ${relative(ws.root, join(source, 'base/deployment.yaml'))}:1: apps/v1/Deployment kube-public/ledger would be in the namespace "kube-public" ${set}, ${reason}`,
        `strata: ${relative(ws.root, join(source, 'base/service.yaml'))}:1: v1/Service kube-public/ledger would be in the namespace "kube-public" ${set}, ${reason}`,
      ]);
      expect(kustomized.status).toBe(1);
      expect(existsSync(join(ws.root, 'apps/ledger-public'))).toBe(false);

      const allowed = strata(ws.root, [
        'import',
        '--name',
        'agent',
        '--no-install',
        '--allow-system-namespace',
        ...envFlags(() => join(fixtures, 'system-namespace/plain')),
      ]);
      expect(allowed.stderr).not.toMatch(/^strata: /m);
      expect(allowed.stdout).toMatch(/import: apps\/agent builds to its sources in every env \(objects: dev 2, staging 2, prod 2\)/);
      expect(allowed.status).toBe(0);
      // The app records that it belongs there, which validation reads (no-platform-namespace).
      expect(readFileSync(join(ws.root, 'apps/agent/src/app.ts'), 'utf8')).toContain(
        "  policy: {\n    // Imported with --allow-system-namespace: the app belongs in Kubernetes' own namespaces.\n    allowSystemNamespace: true,\n",
      );
    },
  );

  it(
    'refuses a namespaced object that names no namespace, in plain YAML or a kustomization without namespace:, one line each at its file and line',
    { timeout: 120_000 },
    () => {
      // kubectl apply puts such an object in the current context's namespace, Argo CD in its Application's destination.
      const reason =
        "has no namespace: kubectl apply puts it in the current context's namespace (default unless the kubeconfig names another), which the sources do not say, " +
        "and the imported app's Argo CD Application would put it in its destination; add metadata.namespace to it";
      const plain = join(ws.root, 'loose');
      mkdirSync(plain);
      writeFileSync(
        join(plain, 'app.yaml'),
        [
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  a: b',
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\ndata:\n  a: b',
          // Cluster-scoped: no namespace to name.
          'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: shop-reader\nrules: []',
        ].join('\n---\n'),
      );
      const loose = strata(ws.root, ['import', '--name', 'shop', '--no-install', ...envFlags(() => 'loose')]);
      expect(loose.stderr.trimEnd().split('\n')).toStrictEqual([
        `strata: loose/app.yaml:9: v1/ConfigMap stray ${reason}, or import with --namespace NAMESPACE (as kubectl apply -n puts it); nothing was written`,
      ]);
      expect(loose.status).toBe(1);
      expect(existsSync(join(ws.root, 'apps/shop'))).toBe(false);

      // A base without namespace: for every env: each object once (in kustomize's order), at its file, with the kustomizations that could set one.
      const base = join(fixtures, 'deployment-service/base');
      const kustomized = strata(ws.root, ['import', '--name', 'ledger-base', '--no-install', ...envFlags(() => base)]);
      const or = ` or a namespace: to ${join(base, 'kustomization.yaml')}, or import with --namespace NAMESPACE (as kubectl apply -n puts it); nothing was written`;
      expect(kustomized.stderr.trimEnd().split('\n')).toStrictEqual([
        `strata: ${join(base, 'service.yaml')}:1: v1/Service ledger ${reason}${or}`,
        `strata: ${join(base, 'deployment.yaml')}:1: apps/v1/Deployment ledger ${reason}${or}`,
      ]);
      expect(kustomized.status).toBe(1);
      expect(existsSync(join(ws.root, 'apps/ledger-base'))).toBe(false);
    },
  );

  it(
    '--namespace puts the objects that name no namespace into it, as kubectl apply -n does, and keeps the namespaces that are named',
    { timeout: 120_000 },
    () => {
      const dir = join(ws.root, 'helm-output');
      mkdirSync(dir);
      writeFileSync(
        join(dir, 'app.yaml'),
        [
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b',
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: elsewhere\n  namespace: audit\ndata:\n  a: b',
          'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reports-reader\nrules: []',
        ].join('\n---\n'),
      );
      const bad = strata(ws.root, ['import', '--name', 'reports', '--no-install', '--namespace', 'Reports_NS', ...envFlags(() => dir)]);
      expect(bad.stderr).toMatch(/^strata: --namespace: "Reports_NS" must be a DNS-1123 label/);
      expect(bad.status).toBe(2);
      // The platform's own namespaces stay refused, given this way too.
      const system = strata(ws.root, ['import', '--name', 'reports', '--no-install', '--namespace', 'default', ...envFlags(() => dir)]);
      expect(system.stderr).toMatch(/v1\/ConfigMap default\/settings would be in the namespace "default"/);
      expect(system.status).toBe(1);
      expect(existsSync(join(ws.root, 'apps/reports'))).toBe(false);

      // The app's Argo CD Application creates audit, its destination; the platform creates reports.
      const r = withPlatformNamespaces(['reports'], () =>
        strata(ws.root, ['import', '--name', 'reports', '--no-install', '--namespace', 'reports', ...envFlags(() => dir)]),
      );
      expect(r.stderr).not.toMatch(/^strata: /m);
      expect(r.stdout).toMatch(/import: apps\/reports builds to its sources in every env \(objects: dev 3, staging 3, prod 3\)/);
      expect(r.status).toBe(0);
      // The app says where each object lives: the proof built its overlays back to exactly that.
      const code = readFileSync(join(ws.root, 'apps/reports/src/render.ts'), 'utf8');
      expect(code).toMatch(/name: 'settings',\s+namespace: 'reports'/);
      expect(code).toMatch(/name: 'elsewhere',\s+namespace: 'audit'/);
      expect(code).not.toMatch(/name: 'reports-reader',\s+namespace:/);
    },
  );

  it('refuses two documents of one object, naming both files and lines, in one line', { timeout: 120_000 }, () => {
    const r = strata(ws.root, ['import', '--name', 'shop', '--no-install', ...envFlags(() => join(fixtures, 'duplicate'))]);
    expect(r.stderr.trimEnd().split('\n')).toStrictEqual([
      `strata: ${join(fixtures, 'duplicate/more.yaml')}:10: v1/ConfigMap shop/settings: given again at ${join(fixtures, 'duplicate/settings.yaml')}:1 (dev); an app holds each object once: remove one of them or give it another name, then import; nothing was written`,
    ]);
    expect(r.status).toBe(1);
    expect(existsSync(join(ws.root, 'apps/shop'))).toBe(false);
  });
});

// What a user runs: no --no-install. A copy of the workspace installed from its lockfile, and the
// project's pinned pnpm offline, from the machine's store.
describe('strata import with the real pnpm install', () => {
  const { work, root } = suiteInstalledCopy(repo, 'strata-import-install-');
  // A Deployment and its Service, in base/ and one overlay per env.
  const source = join(fixtures, 'deployment-service');
  const run = (args: readonly string[], env?: NodeJS.ProcessEnv) => strata(root, args, env, root);

  it('leaves the workspace as it was when the install fails, and says in one line why and what to run', { timeout: 60_000 }, () => {
    // Offline, and pnpm's cache knows none of the app's dependencies: pnpm cannot resolve them.
    const emptyCache = join(work, 'empty-pnpm-cache');
    mkdirSync(emptyCache);
    expectAppNotAdded(root, 'ledger', () => run(['import', source, '--name', 'ledger'], ciOfflinePnpmEnv(root, emptyCache)), {
      status: 2,
      oneLine: true,
      stderr:
        /^strata: pnpm install failed, so apps\/ledger is not imported and nothing changed: ERR_PNPM_NO_OFFLINE_META Failed to resolve \S+ in package mirror .*; once `npx pnpm install` passes, run the same `npx strata import` again/,
    });
  });

  it(
    'refuses, before writing anything, to install beside a registration of no app in package.json, naming it and the command that removes it',
    { timeout: 60_000 },
    () => {
      expectRefusedBesideStray(
        root,
        'ledger',
        join(work, 'pnpm-cache-stray'),
        (env) => run(['import', source, '--name', 'ledger'], env),
        /^strata: package\.json: @strata-apps\/gone is a registration of no app \(there is no apps\/gone\), so the pnpm install of import would fail on it; run `npx strata remove-app gone` first, which removes it and whatever else is left of that app\n$/,
      );
    },
  );

  it('links, locks and generates the imported app, and the pipeline builds it', { timeout: 120_000 }, () => {
    // What pnpm links and locks for the app, every other importer as it was.
    expectAppAdded(root, 'ledger', join(work, 'pnpm-cache'), (env) => run(['import', source, '--name', 'ledger'], env));

    // Generated: its base, an overlay per env, in each env's root.
    expectAppGenerated(root, 'ledger');
    const check = run(['check']);
    expect(check.stdout).toMatch(/0 drifted, 0 round-trip mismatches, 0 build failures/);
    expect(check.status, check.stdout + check.stderr).toBe(0);

    // The pipeline builds every env of it, the Deployment and the Service, with the original's
    // findings excepted as imported.
    const pipeline = run(['pipeline']);
    for (const env of ['dev', 'staging', 'prod']) {
      const built = readFileSync(join(root, `dist/${env}/ledger.yaml`), 'utf8');
      expect(built).toMatch(/^kind: Deployment$/m);
      expect(built).toMatch(/^kind: Service$/m);
    }
    expect(pipeline.stdout).toMatch(/^pipeline: \d+ apps x 3 envs: No problems in \d+ resources/m);
    expect(pipeline.status, pipeline.stdout + pipeline.stderr).toBe(0);
  });
});
