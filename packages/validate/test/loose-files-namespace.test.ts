import { suiteTempDir, writeTree } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { validate } from '../src/index.ts';
import { deploymentYaml, repo } from './kustomize-trees.ts';

/**
 * A folder of loose YAML files, no kustomization among them: `kubectl apply -f <folder>` creates each
 * object in the namespace it writes, or, written without one, in the default namespace. A reference
 * is satisfied only by an object that lands in the same namespace, never by one written without a
 * namespace whatever the pod's.
 */
const configMap = (name: string, namespace?: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}${namespace ? `\n  namespace: ${namespace}` : ''}\ndata:\n  a: b\n`;
const reading = (name: string, namespace: string | undefined, configMap: string) =>
  deploymentYaml({ name, ...(namespace ? { namespace } : {}), container: `envFrom:\n  - configMapRef: {name: ${configMap}}\n` });

const references = async (dir: string) =>
  (await validate(repo, ['.'], { cwd: dir, serverChecks: false })).problems
    .filter((p) => p.rule === 'resolve-references')
    .map((p) => [p.file, p.namespace, p.name, p.message]);

describe('a folder walk of loose YAML files, without a kustomization', () => {
  const { dir } = suiteTempDir('strata-loose-namespaces-');
  writeTree(dir, {
    // The ConfigMap lands in default: the Deployment in shop does not find it, the one without a namespace does.
    'settings.yaml': configMap('settings'),
    'shop.yaml': reading('shop-web', 'shop', 'settings'),
    'plain.yaml': reading('plain-web', undefined, 'settings'),
    // Written into default: the same namespace as an object written without one.
    'explicit.yaml': `${configMap('explicit', 'default')}---\n${reading('explicit-web', undefined, 'explicit')}`,
    'nested/worker.yaml': reading('worker', 'shop', 'settings'),
  });

  it('places an object written without a namespace in the default one, as kubectl apply -f does', async () => {
    const missing = (by: string) =>
      `ConfigMap "settings" used by container "${by}" is not in the set: add it (or its configMapGenerator) or fix the name.`;
    expect(await references(dir)).toStrictEqual([
      ['nested/worker.yaml', 'shop', 'worker', missing('worker')],
      ['shop.yaml', 'shop', 'shop-web', missing('shop-web')],
    ]);
  });
});
