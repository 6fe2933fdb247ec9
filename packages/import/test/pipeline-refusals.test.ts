import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { declarePlatformNamespaces } from '@strata/testing/workspace';
import { validate } from '@strata/validate';
import { importApp, ImportError } from '../src/index.ts';
import { emptyWorkspace, envSources, filesUnder, strata } from './workspace.ts';

let ws: ReturnType<typeof emptyWorkspace>;
beforeEach(() => {
  ws = emptyWorkspace();
});
afterEach(() => ws.dispose());

/** A Deployment of the namespace shop, with `extra` lines under its container. */
const deployment = (extra: readonly string[] = []) =>
  [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: shop',
    '  namespace: shop',
    'spec:',
    '  selector:',
    '    matchLabels: {app: shop}',
    '  template:',
    '    metadata:',
    '      labels: {app: shop}',
    '    spec:',
    '      containers:',
    '        - name: shop',
    '          image: registry.example.com/shop:1.0.0',
    ...extra,
    '',
  ].join('\n');

/** A ConfigMap in `namespace`, written after the Deployment (its namespace on line 21 of the file). */
const configMap = (namespace: string, name = 'extra') =>
  `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  A: "1"\n`;

/** Writes the source, imports it as `name` for every env; resolves to the refusal's lines, the workspace unchanged by it. */
async function refused(file: string, text: string, name = 'shop'): Promise<string[]> {
  const source = join(ws.root, file);
  writeFileSync(source, text);
  const before = filesUnder(ws.root, '.');
  const err = await importApp(ws.root, { name, envs: envSources(source), install: false }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ImportError);
  expect(filesUnder(ws.root, '.')).toStrictEqual(before);
  return [...(err as ImportError).lines];
}

/** What strata validate (the pipeline's checks) says of the source as it is, at `path`. */
async function judged(file: string, path: string): Promise<{ rule: string | undefined; message: string }[]> {
  return (await validate(ws.root, [join(ws.root, file)], { policy: false })).problems
    .filter((p) => p.path === path)
    .map((p) => ({ rule: p.rule, message: p.message }));
}

describe('strata import refuses what the first strata pipeline after it refuses', () => {
  it('refuses an object in a namespace that nothing of the env creates, beside the other apps, naming both fixes', { timeout: 240_000 }, async () => {
    const source = join(ws.root, 'shop.yaml');
    expect(await refused('shop.yaml', `${deployment()}${configMap('shop-extra')}`)).toStrictEqual([
      `${source}:21: v1/ConfigMap shop-extra/extra: metadata.namespace: namespaces "shop-extra" not found: nothing in the env creates it (no Namespace shop-extra among its apps and the imported one, nor its Argo CD destination), so the env's sync and kubectl apply -k stop at this object; add a Namespace shop-extra to the app's sources, or list shop-extra under kubernetes.namespaces of strata.config.json if the platform creates it, then import [namespace-exists]; strata pipeline refuses it (dev, staging, prod); nothing was written`,
    ]);
    // The command: one line, the exit code of the other refusals.
    const cli = strata(ws.root, ['import', '--name', 'shop', '--no-install', ...envSources(source).flatMap((s) => ['--env', s])]);
    expect(cli.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(cli.stderr).toMatch(
      /^strata: .*shop\.yaml:21: v1\/ConfigMap shop-extra\/extra: metadata\.namespace: namespaces "shop-extra" not found: .*\[namespace-exists\]/,
    );
    expect(cli.status).toBe(1);

    // Another app of the env that ships the Namespace creates it: the import goes through, as the pipeline would.
    const extras = join(ws.root, 'extras.yaml');
    writeFileSync(extras, `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop-extra\n${configMap('shop-extra', 'settings')}`);
    await importApp(ws.root, { name: 'extras', envs: envSources(extras), install: false });
    const r = await importApp(ws.root, { name: 'shop', envs: envSources(source), install: false });
    expect(r.objects).toStrictEqual({ dev: 2, staging: 2, prod: 2 });
  });

  it('names what Flux applies, not an Argo CD destination, where Flux applies the tree', { timeout: 240_000 }, async () => {
    const config = join(ws.root, 'strata.config.json');
    const settings = JSON.parse(readFileSync(config, 'utf8')) as { gitops: Record<string, unknown> };
    writeFileSync(config, `${JSON.stringify({ ...settings, gitops: { ...settings.gitops, consumer: 'flux' } }, null, 2)}\n`);
    const source = join(ws.root, 'shop.yaml');
    expect(await refused('shop.yaml', `${deployment()}${configMap('shop-extra')}`)).toStrictEqual([
      `${source}:21: v1/ConfigMap shop-extra/extra: metadata.namespace: namespaces "shop-extra" not found: nothing in the env creates it (no Namespace shop-extra among its apps and the imported one, nor the Namespace of its destination that each env's Flux folder under gitops/flux/ holds), so Flux's apply and kubectl apply -k stop at this object; add a Namespace shop-extra to the app's sources, or list shop-extra under kubernetes.namespaces of strata.config.json if the platform creates it, then import [namespace-exists]; strata pipeline refuses it (dev, staging, prod); nothing was written`,
    ]);
  });

  it('takes an object in a namespace that strata.config.json says the platform creates', { timeout: 240_000 }, async () => {
    const source = join(ws.root, 'shop.yaml');
    // The app's Argo CD destination is shop, where most of its objects are.
    writeFileSync(source, `${deployment()}${configMap('shop', 'settings')}${configMap('monitoring')}`);
    await expect(importApp(ws.root, { name: 'shop', envs: envSources(source), install: false })).rejects.toThrow(/namespaces "monitoring" not found/);
    declarePlatformNamespaces(ws.root, ['monitoring']);
    const r = await importApp(ws.root, { name: 'shop', envs: envSources(source), install: false });
    expect(r.objects).toStrictEqual({ dev: 3, staging: 3, prod: 3 });
  });

  it('refuses an env var given twice, in the words of the pipeline, at the list', { timeout: 240_000 }, async () => {
    const text = deployment(['          env:', '            - {name: MODE, value: fast}', '            - {name: MODE, value: safe}']);
    const lines = await refused('shop.yaml', text);
    const found = await judged('shop.yaml', 'spec.template.spec.containers[0].env');
    expect(found).toStrictEqual([
      {
        rule: 'duplicate-list-key',
        message:
          'duplicate entries for key [name="MODE"]: server-side apply (kubectl apply --server-side, Argo CD\'s ServerSideApply) refuses the list; keep one',
      },
    ]);
    expect(lines).toStrictEqual([
      `${join(ws.root, 'shop.yaml')}:16: apps/v1/Deployment shop/shop: spec.template.spec.containers[0].env: ${found[0]!.message} [duplicate-list-key]; server-side apply refuses it (dev, staging, prod), and so would strata pipeline: fix it in the source, then import; nothing was written`,
    ]);
  });

  it('refuses a container port given twice (another keyed list)', { timeout: 240_000 }, async () => {
    const text = deployment([
      '          ports:',
      '            - {containerPort: 8080, protocol: TCP}',
      '            - {containerPort: 8080, protocol: TCP, name: web}',
    ]);
    const lines = await refused('shop.yaml', text);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /shop\.yaml:16: apps\/v1\/Deployment shop\/shop: spec\.template\.spec\.containers\[0\]\.ports: duplicate entries for key \[containerPort=8080,protocol="TCP"\]: .* \[duplicate-list-key\]; server-side apply refuses it \(dev, staging, prod\)/,
    );
  });

  it(
    'refuses an app whose own namespace is one strata.config.json says the platform makes, as the pipeline refuses it',
    { timeout: 240_000 },
    async () => {
      declarePlatformNamespaces(ws.root, ['shop']);
      // Every object in shop: it is the app's Argo CD destination, which the pipeline refuses to let it
      // own, once, at the first object of its build there (kustomize puts the ConfigMap first).
      const lines = await refused('shop.yaml', `${deployment()}${configMap('shop', 'settings')}`);
      expect(lines).toStrictEqual([
        `${join(ws.root, 'shop.yaml')}:21: v1/ConfigMap shop/settings: metadata.namespace: would be in the namespace "shop", the app's own namespace (its Argo CD Application's destination, which gitops/ creates for it), which kubernetes.namespaces of strata.config.json says the platform makes: an app does not own a platform namespace (its default-deny NetworkPolicy and the AppProject would reach every pod the platform runs there); give the app a namespace of its own, or take "shop" out of kubernetes.namespaces if the app makes it [no-platform-namespace]; strata pipeline refuses it (dev, staging, prod); nothing was written`,
      ]);
    },
  );

  it(
    'refuses an app that ships a Namespace strata.config.json says the platform makes, at the Namespace, as the pipeline refuses it',
    { timeout: 240_000 },
    async () => {
      declarePlatformNamespaces(ws.root, ['monitoring']);
      // The app's own namespace is shop; the Namespace monitoring it ships (its name on line 20) is the platform's.
      const lines = await refused('shop.yaml', `${deployment()}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n`);
      expect(lines).toStrictEqual([
        `${join(ws.root, 'shop.yaml')}:20: v1/Namespace monitoring: metadata.name: would be in the namespace "monitoring", a Namespace the app would create, which kubernetes.namespaces of strata.config.json says the platform makes: an app does not own a platform namespace (removing the app would prune it, with everything the platform runs there); take the Namespace out of the app, or "monitoring" out of kubernetes.namespaces if the app makes it [no-platform-namespace]; strata pipeline refuses it (dev, staging, prod); nothing was written`,
      ]);
    },
  );

  it("refuses what kubeconform refuses, in the pipeline's words, at the source's line", { timeout: 240_000 }, async () => {
    const lines = await refused('shop.yaml', deployment(['          imagePullPolicyy: Always']));
    const found = await judged('shop.yaml', 'spec.template.spec.containers[0].imagePullPolicyy');
    expect(found).toStrictEqual([{ rule: 'schema', message: 'unknown field (not in the schema); check its spelling and indentation' }]);
    expect(lines).toStrictEqual([
      `${join(ws.root, 'shop.yaml')}:16: apps/v1/Deployment shop/shop: spec.template.spec.containers[0].imagePullPolicyy: ${found[0]!.message} [schema]; kubeconform refuses it (dev, staging, prod), and so would strata pipeline: fix it in the source, then import; nothing was written`,
    ]);
  });
});
