import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { isPlainObject } from '@strata/core';
import { GITOPS_DIR } from '../src/index.ts';

/** What the Argo CD tests read of the generated files, and how Argo CD itself turns them into Applications. */

export type Obj = Record<string, unknown>;

/** Every directory under `root` (relative, `/`-separated), the way Argo CD's repo server lists them. */
export function directories(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (!e.isDirectory() || e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    out.push(rel, ...directories(root, rel));
  }
  return out;
}

/** Go's path.Match, which Argo CD's git directory generator uses: `*` and `?` never cross a `/`. */
export function pathMatch(pattern: string, path: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`).test(path);
}

export const overlaysThatExist = (root: string, env: string) =>
  readdirSync(join(root, 'overlays', env), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, 'overlays', env, e.name, 'kustomization.yaml')))
    .map((e) => `overlays/${env}/${e.name}`)
    .sort();

export function readObjects(root: string, rel: string): Obj[] {
  return parseAllDocuments(readFileSync(join(root, rel), 'utf8')).map((d) => d.toJS() as Obj);
}

export interface AppSet {
  spec: {
    generators: { git: { repoURL: string; revision: string; directories: { path: string; exclude?: boolean }[] } }[];
    template: { metadata: Obj; spec: Obj & { syncPolicy: Obj; source: Obj } };
    templatePatch: string;
  };
}

export const appSetOf = (root: string, env: string) =>
  readObjects(root, `${GITOPS_DIR}/${env}/applicationset.strata-${env}.yaml`)[0] as unknown as AppSet;

/** The folders an ApplicationSet's git directory generators select, evaluated against the filesystem. */
export function generatedPaths(root: string, set: AppSet): string[] {
  const dirs = directories(root);
  const selected = new Set<string>();
  for (const g of set.spec.generators) {
    const include = g.git.directories.filter((d) => !d.exclude);
    const exclude = g.git.directories.filter((d) => d.exclude);
    for (const d of dirs) if (include.some((p) => pathMatch(p.path, d)) && !exclude.some((p) => pathMatch(p.path, d))) selected.add(d);
  }
  return [...selected].sort();
}

/**
 * Renders the Application that Argo CD would make for one folder: the template's Go-template
 * parameters substituted, then the templatePatch branch of that folder merged the way a strategic
 * merge patch merges an Application (maps deep, lists replaced whole).
 */
export function renderApplication(set: AppSet, path: string): Obj {
  const basename = path.slice(path.lastIndexOf('/') + 1);
  const substitute = (text: string) => text.replaceAll('{{.path.basename}}', basename).replaceAll('{{.path.path}}', path);
  const template = JSON.parse(substitute(JSON.stringify(set.spec.template))) as Obj;
  const branches = set.spec.templatePatch.split(/^\{\{-[^}]*\}\}\n?/m);
  const conditions = [...set.spec.templatePatch.matchAll(/^\{\{- (?:else )?if eq \.path\.basename "([^"]+)" \}\}$/gm)].map((m) => m[1]);
  const index = conditions.indexOf(basename);
  // branches[0] is the text before the first `if`; the `else` branch follows the last condition.
  const patch = parse(branches[index >= 0 ? index + 1 : conditions.length + 1] ?? '{}') as Obj;
  const merge = (a: unknown, b: unknown): unknown => {
    if (!isPlainObject(a) || !isPlainObject(b)) return b;
    const out: Obj = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
    return out;
  };
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...(merge(template, patch) as Obj) };
}
