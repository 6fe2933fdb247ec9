import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from './errors.ts';
import { Layout } from './layout.ts';

/** The files that register an app with the workspace's package manager, in the order a person reads them. */
export const REGISTRATION_FILES = ['package.json', 'pnpm-lock.yaml'] as const;
export type RegistrationFile = (typeof REGISTRATION_FILES)[number];

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;
const SCOPE = '@strata-apps/';

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

type Dependencies = Partial<Record<(typeof DEPENDENCY_FIELDS)[number], Record<string, unknown>>>;

/** The apps a package manifest depends on (`@strata-apps/<name>`), in any dependency field. */
function dependedOn(manifest: Dependencies | undefined): string[] {
  return DEPENDENCY_FIELDS.flatMap((field) =>
    Object.keys(manifest?.[field] ?? {})
      .filter((dep) => dep.startsWith(SCOPE))
      .map((dep) => dep.slice(SCOPE.length)),
  );
}

/**
 * The apps the root package.json and pnpm-lock.yaml register, each with the files that do: the
 * root's `@strata-apps/<name>` dependency, and in the lockfile that dependency of the root importer
 * or the importer `apps/<name>`. `only` keeps the names it accepts; the lockfile (some 200 kB) is
 * parsed only when its text names one of those, so a workspace whose registrations are all apps
 * costs a scan of it. Files that cannot be read or parsed register nothing: pnpm says what is wrong
 * with them.
 */
export function appRegistrations(root: string, only: (app: string) => boolean = () => true): Map<string, RegistrationFile[]> {
  const found = new Map<string, RegistrationFile[]>();
  const add = (app: string, file: RegistrationFile) => {
    if (!only(app)) return;
    const files = found.get(app) ?? [];
    if (!files.includes(file)) files.push(file);
    found.set(app, files);
  };
  const pkg = read(join(root, 'package.json'));
  try {
    for (const app of dependedOn(pkg === undefined ? undefined : (JSON.parse(pkg) as Dependencies))) add(app, 'package.json');
  } catch {
    // not JSON: pnpm refuses it in its own words
  }
  const lock = read(join(root, 'pnpm-lock.yaml'));
  const named = lock === undefined ? [] : [...lock.matchAll(/^ {2}apps\/([^:\s]+):$|'?@strata-apps\/([^':\s]+)'?:$/gm)].map((m) => (m[1] ?? m[2])!);
  if (lock !== undefined && named.some(only)) {
    try {
      const importers = (parse(lock) as { importers?: Record<string, Dependencies> } | null)?.importers ?? {};
      for (const app of dependedOn(importers['.'])) add(app, 'pnpm-lock.yaml');
      for (const key of Object.keys(importers)) if (key.startsWith(`${Layout.apps}/`)) add(key.slice(Layout.apps.length + 1), 'pnpm-lock.yaml');
    } catch {
      // not YAML: pnpm refuses it in its own words
    }
  }
  return found;
}

/** Whether the workspace holds the package an app's registration names: pnpm finds it as apps/<name>/package.json. */
const hasPackage = (root: string, app: string) => existsSync(join(root, Layout.app(app), 'package.json'));

/** The registrations of apps whose folder is gone, by the app's name. */
const strays = (root: string) => [...appRegistrations(root, (a) => !hasPackage(root, a))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * Refuses, before it writes anything, a command that is to run pnpm install (`command`: new-app,
 * import) in a workspace whose package.json registers an app whose folder is gone: pnpm fails on
 * such a registration, whatever app the command is about, in words that name neither the app nor
 * the fix. One line naming each such app and the command that removes it (exit 2). A registration
 * only pnpm-lock.yaml holds is no hindrance: the install, not frozen, drops it.
 */
export function refuseStrayRegistrations(root: string, command: string): void {
  const apps = strays(root)
    .filter(([, files]) => files.includes('package.json'))
    .map(([app]) => app);
  if (apps.length === 0) return;
  const one = apps.length === 1;
  throw new UsageError(
    `package.json: ${apps.map((a) => `${SCOPE}${a}`).join(', ')} ${one ? 'is a registration of no app' : 'are registrations of no app'} (there is no ${apps.map((a) => Layout.app(a)).join(', ')}), so the pnpm install of ${command} would fail on ${one ? 'it' : 'them'}; run ${apps.map((a) => `\`npx strata remove-app ${a}\``).join(', then ')} first, which removes ${one ? 'it and whatever else is left of that app' : 'each and whatever else is left of those apps'}`,
  );
}

/**
 * The registrations of apps whose folder is gone (deleted by hand, by `git rm`, by a merge), one line
 * each naming the file, why it matters and the command that removes it: pnpm refuses to install a
 * workspace whose root depends on a package it does not hold, so every `pnpm install`, new-app and
 * import fails on it, whatever app they are about.
 */
export function strayRegistrations(root: string): string[] {
  const lines: string[] = [];
  for (const [app, files] of strays(root)) {
    const also = files.length > 1 ? `; ${files.slice(1).join(', ')} has it too` : '';
    const breaks =
      files[0] === 'package.json' ? 'so every pnpm install fails, and new-app and import with it' : 'so a frozen pnpm install (as in CI) fails';
    lines.push(
      `${files[0]}: ${SCOPE}${app} is a registration of no app (there is no ${Layout.app(app)}${also}), ${breaks}; run \`npx strata remove-app ${app}\`, which removes it and whatever else is left of the app`,
    );
  }
  return lines;
}
