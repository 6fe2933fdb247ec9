// What the setup checks of an install besides the hash of the package files: a branch switch can
// bring back an app (its sources) that remove-app took away with its node_modules and its link in
// the root's node_modules, while the lockfile and the package files hash as at the last install.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const declares = (pkg) => Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).length > 0;

/**
 * The parts of the workspace at `root` that `pnpm install` makes and that are missing, relative to
 * the root: the root's links to its workspace packages (node_modules/@strata-apps/NAME, say) and the
 * node_modules folder of each package under apps/ and packages/ that declares dependencies.
 */
export function missingInstall(root) {
  const missing = [];
  if (!existsSync(join(root, 'node_modules', '.modules.yaml'))) missing.push('node_modules');
  const pkg = readJson(join(root, 'package.json'));
  for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }))
    if (String(version).startsWith('workspace:') && !existsSync(join(root, 'node_modules', name))) missing.push(`node_modules/${name}`);
  for (const group of ['apps', 'packages']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const manifest = join(dir, name, 'package.json');
      if (existsSync(manifest) && declares(readJson(manifest)) && !existsSync(join(dir, name, 'node_modules')))
        missing.push(`${group}/${name}/node_modules`);
    }
  }
  return missing;
}
