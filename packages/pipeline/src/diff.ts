import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { appDirs, checkEnv, describe as describeObject, ENVIRONMENTS, loadApps, ToolError, UsageError, type Environment, type Manifest } from '@strata/core';
import { dumpYaml, isGeneratedConfigMap, normalize, sortKeys } from '@strata/emit';
import { buildOverlays, parseBuild } from '@strata/kustomize';

export interface ResourceDiff {
  readonly app: string;
  /** `apiVersion/Kind name`; the namespace is part of the diff, not of the identity. */
  readonly resource: string;
  readonly status: 'added' | 'removed' | 'changed';
  readonly diff: string;
}

export interface DiffResult {
  readonly from: string;
  readonly to: string;
  readonly diffs: ResourceDiff[];
  readonly resources: number;
}

const identity = (m: Manifest) => `${m.apiVersion}/${m.kind} ${m.metadata.name}`;

/** Per-resource unified diffs between two sets of objects of one app. */
export function diffManifests(app: string, from: readonly Manifest[], to: readonly Manifest[], labels: { from: string; to: string }): ResourceDiff[] {
  const a = new Map(from.map((m) => [identity(m), sortKeys(m)]));
  const b = new Map(to.map((m) => [identity(m), sortKeys(m)]));
  const out: ResourceDiff[] = [];
  for (const id of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const left = a.get(id);
    const right = b.get(id);
    const l = left ? dumpYaml(left) : '';
    const r = right ? dumpYaml(right) : '';
    if (l === r) continue;
    const name = describeObject((right ?? left)!);
    out.push({
      app,
      resource: id,
      status: !left ? 'added' : !right ? 'removed' : 'changed',
      diff: createTwoFilesPatch(`${labels.from}/${app}: ${name}`, `${labels.to}/${app}: ${name}`, l, r, '', '', { context: 3 }),
    });
  }
  return out;
}

/** Renders two environments of the selected apps in this process and diffs them resource by resource. */
export async function diffEnvironments(root: string, fromEnv: string, toEnv: string, apps?: readonly string[]): Promise<DiffResult> {
  const from = checkEnv(fromEnv)!;
  const to = checkEnv(toEnv)!;
  const loaded = await loadApps(root, apps);
  const diffs: ResourceDiff[] = [];
  let resources = 0;
  for (const app of loaded) {
    const a = app.manifests(from);
    const b = app.manifests(to);
    resources += new Set([...a, ...b].map(identity)).size;
    diffs.push(...diffManifests(app.name, a, b, { from, to }));
  }
  return { from, to, diffs, resources };
}

async function builtTree(root: string, overlays: readonly string[]): Promise<Map<string, Manifest[]>> {
  const results = await buildOverlays(root, overlays);
  const out = new Map<string, Manifest[]>();
  for (const r of results) {
    if (!r.ok) throw new (r.toolFailed ? ToolError : Error)(`${r.overlay}: kustomize build failed: ${r.error}`);
    const manifests = parseBuild(r.yaml, r.overlay);
    const generated = new Set(manifests.filter(isGeneratedConfigMap).map((m) => m.metadata.name));
    out.set(r.overlay, normalize(manifests, generated));
  }
  return out;
}

/**
 * Builds the committed overlays of a git ref and of the working tree with kustomize, and diffs them
 * per resource: what merging the change would do to every env, without a cluster.
 */
export async function diffAgainst(root: string, ref: string, options: { env?: string; apps?: readonly string[] } = {}): Promise<DiffResult> {
  const env = checkEnv(options.env);
  const scratch = mkdtempSync(join(tmpdir(), 'strata-diff-'));
  try {
    try {
      execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: root, stdio: 'pipe' });
    } catch {
      throw new UsageError(`--against ${ref}: not a commit in this repository`);
    }
    const archive = execFileSync('git', ['archive', '--format=tar', ref, '--', 'base', 'overlays'], { cwd: root, maxBuffer: 1 << 30 });
    execFileSync('tar', ['-x', '-C', scratch], { input: archive });
    const envs: Environment[] = env ? [env] : [...ENVIRONMENTS];
    const apps = options.apps && options.apps.length > 0 ? [...options.apps] : appDirs(root);
    const existing = (dir: string) => existsSync(join(dir, 'kustomization.yaml'));
    const overlays = envs.flatMap((e) => apps.map((a) => `overlays/${e}/${a}`));
    const before = await builtTree(scratch, overlays.filter((o) => existing(join(scratch, o))));
    const after = await builtTree(root, overlays.filter((o) => existing(join(root, o))));
    const diffs: ResourceDiff[] = [];
    let resources = 0;
    for (const overlay of overlays) {
      const [, e, app] = overlay.split('/');
      const a = before.get(overlay) ?? [];
      const b = after.get(overlay) ?? [];
      resources += new Set([...a, ...b].map(identity)).size;
      diffs.push(...diffManifests(`${app}`, a, b, { from: `${ref}:${e}`, to: `working tree:${e}` }).map((d) => ({ ...d, app: `${e}/${app}` })));
    }
    return { from: ref, to: 'working tree', diffs, resources };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
