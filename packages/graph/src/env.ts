import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment, Manifest } from '@strata/core';
import { Layout, UsageError } from '@strata/project';
import { buildOverlays, parseBuild } from '@strata/kustomize';
import { toSvg } from './dot.ts';
import { toMermaid } from './mermaid.ts';
import { collapseSimilar } from './collapse.ts';
import { topology, type Topology } from './topology.ts';

export interface EnvGraph {
  readonly env: Environment;
  /** Apps drawn, by name. */
  readonly apps: string[];
  /** Apps whose overlay did not build, with kustomize's message; they are left out of the picture. */
  readonly skipped: { readonly app: string; readonly error: string }[];
  readonly topology: Topology;
  readonly mermaid: string;
  readonly svg: string;
}

/** App folders of an environment: every `overlays/<env>/<app>` with a kustomization. */
export function envApps(root: string, env: Environment): string[] {
  const dir = join(root, Layout.envRoot(env));
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'kustomization.yaml')))
    .map((d) => d.name)
    .sort();
}

/**
 * Builds `overlays/<env>/<app>` for every app of the env (or only `app`) with the real kustomize,
 * and draws what it deploys. Each object is grouped under the app whose overlay produced it; groups
 * of at least `collapse` look-alike objects are drawn as one node (see collapseSimilar).
 */
export async function renderEnvGraph(root: string, env: Environment, app?: string, options: { collapse?: number | false } = {}): Promise<EnvGraph> {
  const all = envApps(root, env);
  if (app !== undefined && !all.includes(app))
    throw new UsageError(`${Layout.overlay(env, app)}: no such overlay; apps of ${env}: ${all.join(', ') || '(none)'}`);
  const apps = app !== undefined ? [app] : all;
  const results = await buildOverlays(
    root,
    apps.map((a) => Layout.overlay(env, a)),
  );
  const owner = new Map<Manifest, string>();
  const manifests: Manifest[] = [];
  const skipped: { app: string; error: string }[] = [];
  results.forEach((r, i) => {
    const name = apps[i]!;
    if (!r.ok) {
      skipped.push({ app: name, error: r.error ?? 'kustomize build failed' });
      return;
    }
    for (const m of parseBuild(r.yaml, r.overlay)) {
      owner.set(m, name);
      manifests.push(m);
    }
  });
  const full = topology(manifests, { appOf: (m) => owner.get(m) });
  const graph = options.collapse === false ? full : collapseSimilar(full, options.collapse ?? 3);
  const drawn = apps.filter((a) => !skipped.some((s) => s.app === a));
  const title = `${env}${app ? ` · ${app}` : ''}: ${drawn.length} app${drawn.length === 1 ? '' : 's'}, ${manifests.length} objects`;
  return { env, apps: drawn, skipped, topology: graph, mermaid: toMermaid(graph), svg: await toSvg(graph, { title }) };
}
