import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { suiteTempDir, writeTree } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { validate } from '../src/index.ts';
import { repo } from './kustomize-trees.ts';

/**
 * Another app's LimitRange written without a namespace limits the pods where it is applied, as a
 * NetworkPolicy without one counts there: in built output under Argo CD, the destination of that
 * app's Application (the namespace most of its objects name); in files applied as written, the
 * default namespace. Before, it counted nowhere but in its own file, so a pod the cluster's
 * LimitRanger refuses passed. limit-ranges-differential.test.ts shows the same refusal on a real
 * API server.
 */
describe('LimitRanges written without a namespace, for the pods of other files', () => {
  const { dir } = suiteTempDir('strata-namespace-less-ranges-');
  /** A workspace holding only `files`, with the checkout's tools. */
  const workspace = (name: string, files: Record<string, string>) => {
    const root = join(dir, name);
    writeTree(root, files);
    symlinkSync(join(repo, '.tools'), join(root, '.tools'));
    return root;
  };
  const range = 'apiVersion: v1\nkind: LimitRange\nmetadata: {name: bare}\nspec:\n  limits: [{type: Container, max: {memory: 256Mi}}]\n';
  const configMap = (namespace: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: ${namespace}}\ndata: {level: info}\n`;
  const pod = (namespace: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: big, namespace: ${namespace}}\nspec:\n  containers: [{name: c, image: busybox, resources: {limits: {memory: 512Mi, cpu: '1'}}}]\n`;
  const found = async (root: string, inputs: string[]) =>
    (await validate(root, inputs, { cwd: root, serverChecks: false })).problems
      .filter((p) => p.rule === 'within-limit-ranges')
      .map((p) => [p.file, p.namespace, p.name, p.message.replace(/: the API server refuses .*$/, '')]);
  const refused = (file: string, namespace: string) => [[file, namespace, 'big', 'maximum memory usage per Container is 256Mi, but limit is 512Mi']];

  it("count in built output in the destination of their app's Argo CD Application, for the pods of the env's other apps there", async () => {
    // alpha's objects are in shop, so its Application's destination is shop: its LimitRange lands there.
    const shop = workspace('shop', {
      'dist/dev/alpha.yaml': `${configMap('shop')}---\n${range}`,
      'dist/dev/beta.yaml': pod('shop'),
    });
    expect(await found(shop, ['dist'])).toStrictEqual(refused('dist/dev/beta.yaml', 'shop'));
    expect(await found(shop, ['dist/dev/beta.yaml'])).toStrictEqual(refused('dist/dev/beta.yaml', 'shop'));
    // alpha's Application deploys to cart: a pod in shop is not limited by it.
    const cart = workspace('cart', {
      'dist/dev/alpha.yaml': `${configMap('cart')}---\n${range}`,
      'dist/dev/beta.yaml': pod('shop'),
    });
    expect(await found(cart, ['dist'])).toStrictEqual([]);
    expect(await found(cart, ['dist/dev/beta.yaml'])).toStrictEqual([]);
  });

  it('count in files applied as written in the default namespace, for the pods of the other files given', async () => {
    const root = workspace('written', {
      'range.yaml': range,
      'home.yaml': pod('default'),
      'away.yaml': pod('x'),
    });
    expect(await found(root, ['range.yaml', 'home.yaml'])).toStrictEqual(refused('home.yaml', 'default'));
    expect(await found(root, ['range.yaml', 'away.yaml'])).toStrictEqual([]);
  });
});
