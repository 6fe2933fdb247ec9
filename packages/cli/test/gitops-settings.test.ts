import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { strata, suiteWorkspace } from './workspace.ts';

describe('gitops settings that Argo CD or Flux could not follow', () => {
  const ws = suiteWorkspace(['tokenplace-relay']);

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
      const shared = strata(ws.root, ['generate']);
      expect(shared.status, shared.stderr).toBe(1);
      const lines = shared.stderr.trimEnd().split('\n');
      for (const line of lines)
        expect(line).toMatch(
          /^strata: \S+ \S+: deployed by both tokenplace-relay-(dev|staging) \(env \1\) and tokenplace-relay-(staging|prod) \(env \2\) to https:\/\/10\.0\.0\.1:6443, where each Application's sync overwrites the other's; give .*distinct clusters \(gitops\.server by env in strata\.config\.json\)$/,
        );
      expect(lines).toContain(
        "strata: apps/Deployment tokenplace/tokenplace-relay: deployed by both tokenplace-relay-dev (env dev) and tokenplace-relay-prod (env prod) to https://10.0.0.1:6443, where each Application's sync overwrites the other's; give dev and prod distinct namespaces, or distinct clusters (gitops.server by env in strata.config.json)",
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
});
