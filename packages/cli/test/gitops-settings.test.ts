import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateWithKubeconform } from '@strata/kubeconform-wrapper';
import { appSetOf, readObjects, renderApplication, type Obj } from '../../gitops/test/argocd.ts';
import { strata, suiteWorkspace } from '@strata/testing/workspace';

describe('gitops settings that Argo CD or Flux could not follow', () => {
  const ws = suiteWorkspace(['tokenplace-relay']);
  /** `dist/<env>/tokenplace-relay.yaml:<line>` of its Deployment, as built. */
  const deploymentAt = (env: string) => {
    const file = `dist/${env}/tokenplace-relay.yaml`;
    const text = readFileSync(join(ws.root, file), 'utf8').split('\n');
    return `${file}:${text.findIndex((l, i) => l === 'apiVersion: apps/v1' && text[i + 1] === 'kind: Deployment') + 1}`;
  };

  it('a server that is no API server URL, or a targetRevision git refuses, is refused in one line naming the key and a valid example, exit 2, and nothing is written', () => {
    const config = join(ws.root, 'strata.config.json');
    const before = readFileSync(config, 'utf8');
    const refused = (gitops: Record<string, string>, line: string) => {
      writeFileSync(
        config,
        JSON.stringify({ gitops: { repoURL: 'https://git.example.com/platform/strata.git', targetRevision: 'main', ...gitops } }),
      );
      const r = strata(ws.root, ['generate']);
      expect(r.stderr.trimEnd(), JSON.stringify(gitops)).toBe(`strata: strata.config.json: gitops.${line}`);
      expect(r.status).toBe(2);
      expect(() => readFileSync(join(ws.root, 'gitops/prod/applicationset.strata-prod.yaml'))).toThrow(/ENOENT/);
    };
    const server = (value: string) => `server: "${value}" is not an API server URL; use https://host[:port] (default https://kubernetes.default.svc)`;
    const revision = (value: string) =>
      `targetRevision: "${value}" is not a git branch, tag or commit (git check-ref-format refuses it); use e.g. "main", "v1.4.0" or a commit SHA`;
    try {
      for (const value of ['not-a-url', 'kubernetes.default.svc', 'ftp://k8s.example.com', 'https://user:pw@k8s.example.com'])
        refused({ server: value }, server(value));
      for (const value of ['main branch', '-main', 'refs/heads/../x', 'release/', 'v1.lock', 'a~1', 'x@{1}'])
        refused({ targetRevision: value }, revision(value));
      // One server for every env: tokenplace-relay is in the namespace tokenplace in each, so its
      // Applications would overwrite each other's objects; nothing is written.
      writeFileSync(
        config,
        JSON.stringify({
          gitops: { repoURL: 'https://git.example.com/platform/strata.git', targetRevision: 'release/v1.4.0', server: 'https://10.0.0.1:6443' },
        }),
      );
      // Built first, so each line points at the later env's object in its built file and names the earlier env's.
      const built = strata(ws.root, ['build']);
      expect(built.status, built.stderr).toBe(0);
      const shared = strata(ws.root, ['generate']);
      expect(shared.status, shared.stderr).toBe(1);
      const lines = shared.stderr.trimEnd().split('\n');
      for (const line of lines)
        expect(line).toMatch(
          /^strata: dist\/(staging|prod)\/tokenplace-relay\.yaml:\d+: \S+ \S+: deployed by both tokenplace-relay-(dev|staging) \(env \2, dist\/\2\/tokenplace-relay\.yaml:\d+\) and tokenplace-relay-\1 \(env \1\) to https:\/\/10\.0\.0\.1:6443, where each Application's sync overwrites the other's; give .*distinct clusters \(gitops\.server by env in strata\.config\.json\)$/,
        );
      expect(lines).toContain(
        `strata: ${deploymentAt('prod')}: apps/v1/Deployment tokenplace/tokenplace-relay: deployed by both tokenplace-relay-dev (env dev, ${deploymentAt('dev')}) and tokenplace-relay-prod (env prod) to https://10.0.0.1:6443, where each Application's sync overwrites the other's; give dev and prod distinct namespaces, or distinct clusters (gitops.server by env in strata.config.json)`,
      );
      expect(() => readFileSync(join(ws.root, 'gitops/prod/applicationset.strata-prod.yaml'))).toThrow(/ENOENT/);
      // What Argo CD takes: a cluster URL per env, HEAD, a branch with slashes, a tag, a commit.
      const servers = { dev: 'https://10.0.0.1:6443', staging: 'https://10.0.0.2:6443', prod: 'https://10.0.0.3:6443' };
      writeFileSync(
        config,
        JSON.stringify({ gitops: { repoURL: 'https://git.example.com/platform/strata.git', targetRevision: 'release/v1.4.0', server: servers } }),
      );
      const ok = strata(ws.root, ['generate']);
      expect(ok.status, ok.stderr).toBe(0);
      expect(readFileSync(join(ws.root, 'gitops/prod/applicationset.strata-prod.yaml'), 'utf8')).toContain('server: https://10.0.0.3:6443');
      expect(readFileSync(join(ws.root, 'gitops/kustomization.yaml'), 'utf8')).toContain('  - prod');
    } finally {
      writeFileSync(config, before);
    }
  });

  it('gitops.cluster names the clusters as Argo CD knows them: generate writes Applications and AppProjects with destination.name and no server, valid by the Argo CD CRDs; two envs of one name that deploy the same object, or an env given a server and a name, are refused and nothing is written', async () => {
    const config = join(ws.root, 'strata.config.json');
    const before = readFileSync(config, 'utf8');
    const gitops = (settings: Record<string, unknown>) =>
      writeFileSync(
        config,
        JSON.stringify({ gitops: { repoURL: 'https://git.example.com/platform/strata.git', targetRevision: 'main', ...settings } }),
      );
    const scratch = mkdtempSync(join(tmpdir(), 'strata-cluster-names-'));
    try {
      const names = { dev: 'dev-eu', staging: 'staging-eu', prod: 'prod-eu' };
      gitops({ cluster: names });
      const ok = strata(ws.root, ['generate']);
      expect(ok.status, ok.stderr).toBe(0);
      expect(readFileSync(join(ws.root, 'gitops/kustomization.yaml'), 'utf8')).toContain('  - prod');
      const applications: Obj[] = [];
      for (const [env, name] of Object.entries(names)) {
        const application = renderApplication(appSetOf(ws.root, env), `overlays/${env}/tokenplace-relay`) as { spec: { destination: Obj } };
        expect(application.spec.destination).toStrictEqual({ name, namespace: 'tokenplace' });
        applications.push(application);
        const [project] = readObjects(ws.root, `gitops/${env}/appproject.strata-${env}.yaml`) as { spec: { destinations: Obj[] } }[];
        expect(project!.spec.destinations).toStrictEqual([{ name, namespace: 'tokenplace' }]);
      }
      writeFileSync(join(scratch, 'applications.yaml'), applications.map((a) => stringify(a)).join('---\n'));
      const argocd = Object.keys(names).flatMap((env) =>
        ['appproject', 'applicationset'].map((kind) => join(ws.root, `gitops/${env}/${kind}.strata-${env}.yaml`)),
      );
      const results = await validateWithKubeconform({ paths: [scratch, ...argocd] }, { root: ws.root });
      expect(results.filter((r) => r.status !== 'valid')).toStrictEqual([]);
      expect(results.map((r) => r.kind).sort()).toStrictEqual([
        ...Array(3).fill('AppProject'),
        ...Array(3).fill('Application'),
        ...Array(3).fill('ApplicationSet'),
      ]);
      const generated = readFileSync(join(ws.root, 'gitops/prod/applicationset.strata-prod.yaml'), 'utf8');

      // dev and prod on the cluster Argo CD calls shared: tokenplace-relay is in tokenplace in both.
      gitops({ cluster: { dev: 'shared', staging: 'staging-eu', prod: 'shared' } });
      const built = strata(ws.root, ['build']);
      expect(built.status, built.stderr).toBe(0);
      for (const command of ['generate', 'check']) {
        const shared = strata(ws.root, [command]);
        expect(shared.status, shared.stderr).toBe(1);
        expect(shared.stderr).toContain(
          `strata: ${deploymentAt('prod')}: apps/v1/Deployment tokenplace/tokenplace-relay: deployed by both tokenplace-relay-dev (env dev, ${deploymentAt('dev')}) and tokenplace-relay-prod (env prod) to cluster shared, where each Application's sync overwrites the other's; give dev and prod distinct namespaces, or distinct clusters (gitops.cluster by env in strata.config.json)`,
        );
      }
      expect(readFileSync(join(ws.root, 'gitops/prod/applicationset.strata-prod.yaml'), 'utf8')).toBe(generated);

      gitops({ server: { prod: 'https://10.0.0.3:6443' }, cluster: { prod: 'prod-eu' } });
      const both = strata(ws.root, ['generate']);
      expect(both.stderr).toBe(
        'strata: strata.config.json: gitops.cluster.prod: prod deploys to the cluster named "prod-eu" here and to https://10.0.0.3:6443 by gitops.server.prod; an Argo CD Application names its cluster by server URL or by name, never both: remove gitops.server.prod or gitops.cluster.prod\n',
      );
      expect(both.status).toBe(2);
      expect(readFileSync(join(ws.root, 'gitops/prod/applicationset.strata-prod.yaml'), 'utf8')).toBe(generated);
      expect(existsSync(join(ws.root, 'gitops/kustomization.yaml'))).toBe(true);
    } finally {
      writeFileSync(config, before);
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
