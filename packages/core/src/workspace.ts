import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { App } from './app.ts';

/** Thrown for problems the user fixes by changing how the command is called (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Thrown when a required external binary cannot be found (exit 2); `hint` says how to install it. */
export class ToolMissingError extends Error {
  override readonly name = 'ToolMissingError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(`${message}: ${hint}`);
  }
}

/** The workspace root: the nearest folder at or above `from` holding pnpm-workspace.yaml. */
export function findRoot(from: string = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new UsageError(`no Strata workspace (pnpm-workspace.yaml) at or above ${from}; run strata from the repository`);
    dir = parent;
  }
}

/** Application folders under apps/ that have src/app.ts, sorted by name. */
export function appDirs(root: string): string[] {
  const apps = join(root, 'apps');
  if (!existsSync(apps)) return [];
  return readdirSync(apps, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(apps, d.name, 'src', 'app.ts')))
    .map((d) => d.name)
    .sort();
}

/**
 * Imports every application's `src/app.ts` and returns its exported `app`, sorted by name. A module
 * that fails to load, or that exports no app, is an error that names its file.
 */
export async function loadApps(root: string, only?: readonly string[]): Promise<App[]> {
  const dirs = appDirs(root);
  for (const name of only ?? []) {
    if (!dirs.includes(name)) {
      throw new UsageError(`unknown app "${name}"; known apps: ${dirs.join(', ') || '(none)'}`);
    }
  }
  const wanted = only && only.length > 0 ? dirs.filter((d) => only.includes(d)) : dirs;
  const apps: App[] = [];
  for (const dir of wanted) {
    const file = join(root, 'apps', dir, 'src', 'app.ts');
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`apps/${dir}/src/app.ts: cannot load: ${(err as Error).message.split('\n')[0]}`);
    }
    const app = mod.app as App | undefined;
    if (!app || typeof app.manifests !== 'function') {
      throw new Error(`apps/${dir}/src/app.ts: must export \`const app = defineApp({...})\``);
    }
    if (app.name !== dir) throw new Error(`apps/${dir}/src/app.ts: app name "${app.name}" must equal its folder name "${dir}"`);
    apps.push(app);
  }
  return apps;
}
