import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repo, strata } from '@strata/testing/workspace';

interface Row {
  app: string;
  env: string;
  images: { workload: string; container: string; image: string }[];
  scale: { workload: string; replicas?: number; autoscaling?: { by: string; min: number; max: number } }[];
  hosts: string[];
  components: string[];
}

/** A field of a parsed object, or undefined: built objects are plain data of unknown shape. */
function get(o: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
}
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (v === undefined ? '-' : String(v));

/** The real kustomize CLI's build of an overlay, as plain objects. */
function kustomizeBuild(overlay: string): unknown[] {
  const yaml = execFileSync(join(repo, '.tools/bin/kustomize'), ['build', overlay], { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 28 });
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as unknown)
    .filter(Boolean);
}

describe('strata ls', () => {
  const r = strata(repo, ['ls', '-o', 'json']);
  const rows = JSON.parse(r.stdout || '[]') as Row[];

  it('lists one row per app and env', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const apps = [...new Set(rows.map((x) => x.app))];
    expect(apps.length).toBeGreaterThanOrEqual(5);
    expect(rows).toHaveLength(apps.length * 3);
  });

  it('says what the real kustomize build of each overlay holds: images, replicas or autoscaling range, hosts', () => {
    for (const row of rows) {
      const built = kustomizeBuild(`overlays/${row.env}/${row.app}`);
      const at = `${row.env}/${row.app}`;
      const id = (m: unknown) => `${str(get(m, 'kind'))}/${str(get(m, 'metadata', 'name'))}`;
      const containers = built.flatMap((m) => {
        const kind = get(m, 'kind');
        const pod =
          kind === 'CronJob'
            ? get(m, 'spec', 'jobTemplate', 'spec', 'template', 'spec')
            : kind === 'Pod'
              ? get(m, 'spec')
              : get(m, 'spec', 'template', 'spec');
        return [...arr(get(pod, 'initContainers')), ...arr(get(pod, 'containers'))].map(
          (c) => `${id(m)} ${str(get(c, 'name'))} ${str(get(c, 'image'))}`,
        );
      });
      expect(row.images.map((i) => `${i.workload} ${i.container} ${i.image}`).sort(), at).toStrictEqual(containers.sort());
      // An HPA's range, or a KEDA ScaledObject's (which makes its own HPA in the cluster).
      const ranges = new Map<string, string>();
      for (const m of built) {
        const target = `${str(get(m, 'spec', 'scaleTargetRef', 'kind') ?? 'Deployment')}/${str(get(m, 'spec', 'scaleTargetRef', 'name'))}`;
        if (get(m, 'kind') === 'HorizontalPodAutoscaler')
          ranges.set(target, `${str(get(m, 'spec', 'minReplicas') ?? 1)}-${str(get(m, 'spec', 'maxReplicas'))}`);
        if (get(m, 'kind') === 'ScaledObject')
          ranges.set(target, `${str(get(m, 'spec', 'minReplicaCount') ?? 0)}-${str(get(m, 'spec', 'maxReplicaCount') ?? 100)}`);
      }
      const scaled = built
        .filter((m) => get(m, 'kind') === 'Deployment' || get(m, 'kind') === 'StatefulSet')
        .map((m) => `${id(m)} ${str(get(m, 'spec', 'replicas'))} ${ranges.get(id(m)) ?? '-'}`);
      expect(
        row.scale.map((s) => `${s.workload} ${s.replicas ?? '-'} ${s.autoscaling ? `${s.autoscaling.min}-${s.autoscaling.max}` : '-'}`).sort(),
        at,
      ).toStrictEqual(scaled.sort());
      const hosts = built
        .filter((m) => get(m, 'kind') === 'Ingress')
        .flatMap((m) => [
          ...arr(get(m, 'spec', 'rules')).map((x) => get(x, 'host')),
          ...arr(get(m, 'spec', 'tls')).flatMap((t) => arr(get(t, 'hosts'))),
        ]);
      expect(row.hosts, at).toStrictEqual([...new Set(hosts)].sort());
    }
  });

  it('names the components an overlay includes', () => {
    const gpu = rows.find((x) => x.app === 'rtmlib-ml-backend' && x.env === 'prod');
    expect(gpu?.components).toStrictEqual(['gpu']);
    expect(rows.find((x) => x.app === 'rtmlib-ml-backend' && x.env === 'dev')?.components).toStrictEqual([]);
  });

  it('prints a table for one env, autoscaled workloads as min-max', () => {
    const t = strata(repo, ['ls', '--env', 'prod', '--app', 'tensafe', 'tokenplace-relay']);
    expect(t.status).toBe(0);
    const lines = t.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^APP\s+ENV\s+IMAGES\s+REPLICAS\s+HOSTS\s+COMPONENTS$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^tensafe\s+prod\s+docker\.io\/tensafe\/tensafe@sha256:[0-9a-f]{12}… .*tensafe=\d+-\d+ /);
    expect(lines[2]).toMatch(
      /^tokenplace-relay\s+prod\s+ghcr\.io\/tokenplace\/tokenplace-relay@sha256:[0-9a-f]{12}…\s+2\s+relay\.token\.place www\.relay\.token\.place\s+-$/,
    );
    // Wide prints the digest that the committed overlay pins, whole.
    const wide = strata(repo, ['ls', '-o', 'wide', '--env', 'prod', '--app', 'tokenplace-relay']);
    const pinned = /digest: (sha256:[0-9a-f]{64})/.exec(
      readFileSync(join(repo, 'overlays', 'prod', 'tokenplace-relay', 'kustomization.yaml'), 'utf8'),
    )?.[1];
    expect(pinned).toBeDefined();
    expect(wide.stdout).toContain(`ghcr.io/tokenplace/tokenplace-relay@${pinned}  `);
  });

  it('refuses an unknown env or app with exit 2', () => {
    expect(strata(repo, ['ls', '--env', 'qa']).status).toBe(2);
    const app = strata(repo, ['ls', '--app', 'nope']);
    expect(app.status).toBe(2);
    expect(app.stderr).toMatch(/unknown app "nope"; known apps: /);
  });
});
