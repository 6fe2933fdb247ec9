import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from '@strata/emit/atomic';
import { ENVIRONMENTS, type Environment, type Manifest } from '@strata/core';
import { Layout, UsageError } from '@strata/project';
import { buildOverlays, parseBuild } from '@strata/kustomize';
import { toSvg } from './dot.ts';
import { toMermaid } from './mermaid.ts';
import { collapseSimilar } from './collapse.ts';
import { topology, type Topology } from './topology.ts';
import { topologyInputsHash, topologyInputsOnDisk, withTopologyStamps } from './inputs.ts';

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
export async function renderEnvGraph(
  root: string,
  env: Environment,
  app?: string,
  options: {
    collapse?: number | false;
    /** Leave these apps out, as if they had no overlay (one being removed). */
    without?: readonly string[];
  } = {},
): Promise<EnvGraph> {
  const all = envApps(root, env).filter((a) => !options.without?.includes(a));
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

/**
 * Refuses a graph that lacks an app whose overlay did not build, one line per such overlay: a
 * picture that silently lacks a service is wrong documentation, and `graph --out` would put it in
 * place of a committed one.
 */
export function refusePartial(g: EnvGraph): void {
  if (g.skipped.length === 0) return;
  throw new Error(
    g.skipped
      .map(
        (s) =>
          `${Layout.overlay(g.env, s.app)}: kustomize build failed, so the topology of ${g.env} cannot be drawn whole: ${s.error.replace(/\s*\n\s*/g, '; ')}; fix the overlay (npx strata generate rewrites a generated one) and draw again`,
      )
      .join('\n'),
  );
}

/** The topology pictures of an env that the workspace keeps (`docs/topology-<env>.svg` and `.mmd`). */
function keptPictures(root: string, env: Environment): { format: 'svg' | 'mermaid'; path: string }[] {
  return (['svg', 'mermaid'] as const)
    .map((format) => ({ format, path: Layout.topology(env, format) }))
    .filter((f) => existsSync(join(root, f.path)));
}

/** Every topology picture the workspace keeps, for every env. */
export const topologyPictures = (root: string): string[] => ENVIRONMENTS.flatMap((env) => keptPictures(root, env).map((f) => f.path));

/**
 * The committed topology pictures (`docs/topology-<env>.svg` and `.mmd`) drawn again from the
 * overlays now on disk, for those that exist: a workspace that keeps none gets none. Files whose
 * content would not change are left out. `without` leaves apps out, as if already removed, so a
 * removal can write the pictures in the same transaction as the rest. An overlay that does not
 * build is an error: a picture that silently lacks an app would be wrong.
 */
export async function redrawTopology(root: string, options: { without?: readonly string[] } = {}): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const drawn = new Map<string, { inputs: string; picture: string }>();
  for (const env of ENVIRONMENTS) {
    const kept = keptPictures(root, env);
    if (kept.length === 0) continue;
    const g = await renderEnvGraph(root, env, undefined, options.without ? { without: options.without } : {});
    const failed = g.skipped[0];
    if (failed) throw new Error(`${Layout.overlay(env, failed.app)}: kustomize build failed, so ${kept[0]!.path} cannot be drawn: ${failed.error}`);
    const inputs = topologyInputsHash(root, topologyInputsOnDisk(root, env, options.without));
    for (const f of kept) {
      // As `strata graph --out` writes it, which `npm run topology` runs.
      const content = f.format === 'svg' ? g.svg : g.mermaid;
      drawn.set(f.path, { inputs, picture: content });
      if (readFileSync(join(root, f.path), 'utf8') !== content) out.set(f.path, content);
    }
  }
  // What each picture was drawn from, in the same change as the pictures.
  if (drawn.size > 0) {
    const stamps = withTopologyStamps(root, drawn);
    if (!existsSync(join(root, Layout.topologyInputs)) || readFileSync(join(root, Layout.topologyInputs), 'utf8') !== stamps)
      out.set(Layout.topologyInputs, stamps);
  }
  return out;
}

/**
 * After `strata graph --out FILE` of a whole env: when FILE is one of the workspace's kept pictures
 * of it, the line of `docs/topology.inputs` that says what it was drawn from (the tree as it is on
 * disk), so that check knows it current. Returns whether it wrote.
 */
export function recordDrawnPicture(root: string, env: Environment, file: string, picture: string): boolean {
  const path = relative(realpathSync(root), realpathSync(resolve(file)))
    .split(sep)
    .join('/');
  if (path !== Layout.topology(env, 'svg') && path !== Layout.topology(env, 'mermaid')) return false;
  const inputs = topologyInputsHash(root, topologyInputsOnDisk(root, env));
  writeFileAtomic(join(root, Layout.topologyInputs), withTopologyStamps(root, new Map([[path, { inputs, picture }]])));
  return true;
}
