import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The model class of a kind, for an object a render returned as plain data (an app that reads
 * vendored YAML with `yaml.parse`, say) rather than as a model: it is checked as the model would
 * check it. Looked up by apiVersion and kind in kubernetes-models (every built-in kind) and in the
 * other model packages (`@kubernetes-models/*`, `@strata/crd-models`) that core or the app has
 * installed, and loaded as the app itself would load it, from the same file, so the one copy of each
 * module is shared.
 */

/** A model class: the kind's own apiVersion and kind, and an instance that validates itself. */
export interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  new (data: object): { validate(): void };
}

const require = createRequire(import.meta.url);
const coreModules = fileURLToPath(new URL('../node_modules', import.meta.url));

/** The folders holding model modules under a node_modules folder, each with the subfolder its kinds' files are in. */
function modelFolders(modules: string): { dir: string; sub: string }[] {
  const out: { dir: string; sub: string }[] = [];
  const add = (dir: string, sub = '') => {
    if (existsSync(dir)) out.push({ dir, sub });
  };
  add(join(modules, 'kubernetes-models'));
  try {
    for (const name of readdirSync(join(modules, '@kubernetes-models')).sort()) add(join(modules, '@kubernetes-models', name));
  } catch {
    // none installed there
  }
  add(join(modules, '@strata', 'crd-models'), 'gen');
  return out;
}

const found = new Map<string, ModelClass | null>();

const KIND = /^[A-Z][A-Za-z0-9]*$/;
const GROUP_VERSION = /^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?v[0-9]+(?:(?:alpha|beta)[0-9]+)?$/;

/**
 * The model class of `apiVersion` `kind`, or undefined when no installed package has one (a kind of
 * a CRD without models) or this Node cannot load it synchronously (require of an ES module needs
 * Node 20.19 or newer). `appDir` is the app's folder, whose own model packages count too.
 */
export function modelClassOf(apiVersion: string, kind: string, appDir?: string): ModelClass | undefined {
  if (!KIND.test(kind) || !GROUP_VERSION.test(apiVersion)) return undefined;
  const key = `${appDir ?? ''}\0${apiVersion}\0${kind}`;
  const known = found.get(key);
  if (known !== undefined) return known ?? undefined;
  // `v1/ConfigMap.js` for the core group, `apps/v1/Deployment.js` for any other.
  const file = `${apiVersion}/${kind}.js`;
  let model: ModelClass | null = null;
  const folders = [...modelFolders(coreModules), ...(appDir ? modelFolders(join(appDir, 'node_modules')) : [])];
  for (const { dir, sub } of folders) {
    const path = join(dir, sub, file);
    if (!existsSync(path)) continue;
    try {
      const exported = (require(realpathSync(path)) as Record<string, unknown>)[kind];
      const statics = exported as { apiVersion?: unknown; kind?: unknown } | undefined;
      if (typeof exported === 'function' && statics?.apiVersion === apiVersion && statics.kind === kind) {
        model = exported as unknown as ModelClass;
        break;
      }
    } catch {
      // not loadable here: left to the schema checks after the build
    }
  }
  found.set(key, model);
  return model ?? undefined;
}
