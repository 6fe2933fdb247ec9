import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inTempDir } from '@strata/testing/temp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENVIRONMENTS, type Environment, type Manifest } from '@strata/core';
import { normalize } from '@strata/emit';
import { buildOverlays, parseBuild } from '@strata/kustomize';
import { loadApps } from '@strata/project';
import { validate } from '@strata/validate';
import { differences, importApp, ImportError } from '../src/index.ts';
import { emptyWorkspace, envSources, filesUnder, fixtures, repo } from './workspace.ts';

let ws: ReturnType<typeof emptyWorkspace>;
beforeEach(() => {
  ws = emptyWorkspace();
});
afterEach(() => ws.dispose());

const HASH = /-[a-z0-9]{10}$/;
const key = (m: Manifest) => `${m.kind} ${m.metadata.namespace ?? ''}/${m.metadata.name}`;
// Generated names without their hash suffix, in one order: kustomize sorts its output by kind.
const unhashed = (ms: Manifest[]) =>
  sorted(
    normalize(ms, new Set(ms.filter((m) => m.kind === 'ConfigMap' && HASH.test(m.metadata.name)).map((m) => m.metadata.name.replace(HASH, '')))),
  );
const sorted = (ms: Manifest[]) => [...ms].sort((a, b) => key(a).localeCompare(key(b)));

/** `kustomize build overlays/<env>/<app>` of the tree the import wrote, with the real kustomize. */
async function built(app: string): Promise<Record<Environment, Manifest[]>> {
  const results = await buildOverlays(
    ws.root,
    ENVIRONMENTS.map((e) => `overlays/${e}/${app}`),
    { concurrency: 1 },
  );
  const out = {} as Record<Environment, Manifest[]>;
  ENVIRONMENTS.forEach((e, i) => {
    expect(results[i]!.error).toBeUndefined();
    out[e] = unhashed(parseBuild(results[i]!.yaml, results[i]!.overlay));
  });
  return out;
}

describe('strata import of plain YAML per env', () => {
  const envs = envSources((e) => join(fixtures, 'plain', e));

  it('writes a typed app whose overlays build to the YAML, Secrets as ExternalSecrets', { timeout: 120_000 }, async () => {
    const r = await importApp(ws.root, { name: 'ledger', envs, install: false });
    expect(r.objects).toStrictEqual({ dev: 6, staging: 5, prod: 5 });
    const out = await built('ledger');
    for (const env of ENVIRONMENTS) {
      const source = parseBuild(
        readFileSync(join(fixtures, 'plain', env, 'ledger.yaml'), 'utf8') +
          '\n---\n' +
          readFileSync(join(fixtures, 'plain', env, 'settings.yaml'), 'utf8'),
        env,
      );
      // Every object but the Secret is the same data; the Secret is its ExternalSecret, without a value.
      const plain = source.filter((m) => m.kind !== 'Secret');
      expect(unhashed(out[env].filter((m) => m.kind !== 'ExternalSecret'))).toStrictEqual(unhashed(plain));
      const es = out[env].find((m) => m.kind === 'ExternalSecret') as Manifest & {
        spec: { target: unknown; data: { secretKey: string; remoteRef: unknown }[] };
      };
      expect(es.metadata).toStrictEqual({ name: 'ledger-db', namespace: `ledger-${env}` });
      expect(es.spec.target).toStrictEqual({ name: 'ledger-db', creationPolicy: 'Owner' });
      expect(es.spec.data).toStrictEqual([{ secretKey: 'password', remoteRef: { key: `ledger/${env}/ledger-db`, property: 'password' } }]);
      expect(JSON.stringify(out[env])).not.toContain('not-a-real-password');
    }
    // The Secret's values went nowhere in the tree, and the warning says where they belong.
    expect(r.warnings).toContain(
      'prod: Secret ledger-prod/ledger-db: values not imported; an ExternalSecret now reads password from ClusterSecretStore secret-store at key ledger/prod/ledger-db: store them there (or import with --secret-store NAME[:Kind])',
    );
    const app = filesUnder(ws.root, 'apps/ledger');
    expect(Object.values(app).join('\n')).not.toContain('not-a-real-password');
  });

  it("records --allow-system-namespace only for an app it let into Kubernetes' own namespaces", { timeout: 120_000 }, async () => {
    await importApp(ws.root, { name: 'ledger', envs, install: false, allowSystemNamespace: true });
    // Its objects are in namespaces of their own: the flag let nothing in, so no-platform-namespace keeps guarding them.
    expect(readFileSync(join(ws.root, 'apps/ledger/src/app.ts'), 'utf8')).not.toContain('allowSystemNamespace');
  });

  it('lifts what differs into typed config, each env file holding only its differences', { timeout: 120_000 }, async () => {
    await importApp(ws.root, { name: 'ledger', envs, install: false });
    const app = filesUnder(ws.root, 'apps/ledger');
    const config = app['apps/ledger/src/config.ts']!;
    expect(config).toContain("ledger: { replicas: 4, requestsCpu: '500m', host: 'ledger.example.org' }");
    expect(config).toContain("namespace: 'ledger-prod'");
    expect(config).toContain('readonly enabled: boolean;');
    expect(app['apps/ledger/src/env/prod.ts']).toContain('export const prod: EnvironmentDefinition<Config> = {};');
    expect(app['apps/ledger/src/env/dev.ts']).toContain("ledger: { replicas: 1, requestsCpu: '50m', host: 'ledger.dev.example.org' }");
    expect(app['apps/ledger/src/env/dev.ts']).toContain('ledgerDebug: { enabled: true }');
    // The image differs per env: pinned per env in images.json, as the seed apps do.
    expect(JSON.parse(app['apps/ledger/images.json']!)).toStrictEqual({
      dev: { ledger: { repository: 'registry.example.org/fin/ledger', tag: '2.3.0-rc.1' } },
    });
    const render = app['apps/ledger/src/render.ts']!;
    expect(render).toContain("import { Deployment } from 'kubernetes-models/apps/v1/Deployment';");
    expect(render).toContain("import { ExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';");
    expect(render).toContain('if (c.ledgerDebug.enabled) {');
    // Registered as a workspace app, with its generated tree and the env roots listing it.
    expect(JSON.parse(readFileSync(join(ws.root, 'package.json'), 'utf8')).devDependencies['@strata-apps/ledger']).toBe('workspace:*');
    expect(JSON.parse(app['apps/ledger/package.json']!).dependencies['@kubernetes-models/external-secrets']).toBe('catalog:');
    expect(readFileSync(join(ws.root, 'overlays/dev/kustomization.yaml'), 'utf8')).toMatch(/- ledger\n/);
    expect(app['apps/ledger/test/app.test.ts']).toContain('buildApp(APP, env)');
  });

  it(
    'points the ExternalSecrets at the store --secret-store names, and refuses a malformed one before reading anything',
    { timeout: 120_000 },
    async () => {
      const r = await importApp(ws.root, { name: 'ledger', envs, secretStore: 'vault-ledger:SecretStore', install: false });
      const out = await built('ledger');
      expect(out.staging.find((m) => m.kind === 'ExternalSecret')).toMatchObject({
        spec: { secretStoreRef: { kind: 'SecretStore', name: 'vault-ledger' } },
      });
      expect(r.warnings[0]).toContain('an ExternalSecret now reads password from SecretStore vault-ledger at key ledger/dev/ledger-db');
      await expect(importApp(ws.root, { name: 'other', envs, secretStore: 'vault:Vault', install: false })).rejects.toThrow(
        '--secret-store vault:Vault: write it as NAME or NAME:Kind, NAME a lower-case DNS name and Kind ClusterSecretStore or SecretStore, e.g. --secret-store vault:ClusterSecretStore',
      );
      expect(existsSync(join(ws.root, 'apps/other'))).toBe(false);
    },
  );

  it(
    "gives a typed Secret's labels, annotations and immutable to the Secret External Secrets makes, in an ExternalSecret the shipped CRD admits",
    { timeout: 120_000 },
    async () => {
      const source = join(fixtures, 'typed-secret', 'secrets.yaml');
      await importApp(ws.root, { name: 'sec', envs: envSources(source), install: false });
      const [dev] = await buildOverlays(ws.root, ['overlays/dev/sec'], { concurrency: 1 });
      const es = (name: string) =>
        parseBuild(dev!.yaml, 'dev').find((m) => m.kind === 'ExternalSecret' && m.metadata.name === name) as Manifest & { spec: { target: unknown } };
      // With a template (for the type), External Secrets takes the Secret's metadata from template.metadata only.
      const labels = { a: 'b' };
      const annotations = { 'reflector.v1.k8s.emberstack.com/reflection-allowed': 'true' };
      expect(es('tls').spec.target).toStrictEqual({
        name: 'tls',
        creationPolicy: 'Owner',
        immutable: true,
        template: { type: 'kubernetes.io/tls', metadata: { labels, annotations } },
      });
      // Without one, it copies the ExternalSecret's own labels and annotations.
      expect(es('plain').metadata.labels).toStrictEqual(labels);
      expect(es('plain').spec.target).toStrictEqual({ name: 'plain', creationPolicy: 'Owner', immutable: true });
      const file = join(ws.root, 'dev-sec.yaml');
      writeFileSync(file, dev!.yaml);
      const r = await validate(ws.root, [file], { policy: false });
      expect(r.problems.filter((p) => p.severity !== 'warning')).toStrictEqual([]);
    },
  );

  it(
    "leaves out kubectl's last-applied-configuration annotation, so that no Secret value it copies reaches the app or its tree",
    { timeout: 120_000 },
    async () => {
      const source = join(fixtures, 'exported', 'last-applied.yaml');
      const r = await importApp(ws.root, { name: 'laapp', envs: envSources(source), install: false });
      expect(r.dropped).toStrictEqual({ fields: ['annotation kubectl.kubernetes.io/last-applied-configuration'], objects: 3 });
      const written = Object.values({ ...filesUnder(ws.root, 'apps/laapp'), ...filesUnder(ws.root, 'base/laapp') }).join('\n');
      for (const value of ['hunter2-plaintext', 'U1VQRVJT', 'old-applied-mode', 'last-applied-configuration']) expect(written).not.toContain(value);
      const out = await built('laapp');
      const find = (kind: string, name: string) =>
        out.dev.find((m) => m.kind === kind && m.metadata.name === name) as Manifest & { spec: { target: unknown } };
      // The object's other annotations stay; an annotations map left empty goes.
      expect(find('ExternalSecret', 'opaque').metadata).toStrictEqual({ name: 'opaque', namespace: 'laapp', annotations: { team: 'db' } });
      expect(find('ExternalSecret', 'tls-cert').spec.target).toMatchObject({
        template: { type: 'kubernetes.io/tls', metadata: { labels: { a: 'b' } } },
      });
      expect(find('ConfigMap', 'settings').metadata).toStrictEqual({ name: 'settings', namespace: 'laapp' });
    },
  );

  it(
    "imports a populated service-account token Secret as a token Secret without the old cluster's token, for the token controller to fill",
    { timeout: 120_000 },
    async () => {
      const source = join(fixtures, 'exported', 'sa-token.yaml');
      const r = await importApp(ws.root, { name: 'satapp', envs: envSources(source), install: false });
      const out = await built('satapp');
      for (const env of ENVIRONMENTS) {
        expect(out[env].filter((m) => m.kind === 'ExternalSecret')).toStrictEqual([]);
        expect(out[env].find((m) => m.kind === 'Secret')).toStrictEqual({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'app-token', namespace: 'satapp', annotations: { 'kubernetes.io/service-account.name': 'app' } },
          type: 'kubernetes.io/service-account-token',
        });
      }
      expect(r.warnings).toContain(
        "prod: Secret satapp/app-token: a service-account token: imported without ca.crt, namespace, token, the old cluster's, which the token controller of the cluster writes for the ServiceAccount app",
      );
      expect(r.warnings.filter((w) => w.includes('values not imported'))).toStrictEqual([]);
      const written = Object.values({ ...filesUnder(ws.root, 'apps/satapp'), ...filesUnder(ws.root, 'base/satapp') }).join('\n');
      for (const value of ['ZXlKaGJHY2', 'LS0tLS1CRUdJTg', '444455556666']) expect(written).not.toContain(value);
    },
  );

  it('refuses a service-account token Secret that holds a key the token controller does not write, in one line, writing nothing', async () => {
    const source = join(ws.root, 'sa-token.yaml');
    writeFileSync(source, `${readFileSync(join(fixtures, 'exported', 'sa-token.yaml'), 'utf8')}  extra: eA==\n`);
    await expect(importApp(ws.root, { name: 'satapp', envs: envSources(source), install: false })).rejects.toThrow(
      "dev: v1/Secret satapp/app-token: a kubernetes.io/service-account-token Secret holds extra, which its cluster's token controller does not write; move it to a Secret of its own, then import; nothing was written",
    );
    expect(existsSync(join(ws.root, 'apps/satapp'))).toBe(false);
  });

  it("refuses an object its owner's controller made, at its ownerReference, writing nothing", async () => {
    const source = join(fixtures, 'exported', 'owned.yaml');
    await expect(importApp(ws.root, { name: 'ownapp', envs: envSources(source), install: false })).rejects.toThrow(
      /^[^\n]*owned\.yaml:27: apps\/v1\/ReplicaSet ownapp\/web-5d8f7c9b6: metadata\.ownerReferences\[0\]: made by the controller of its owner, Deployment web, which makes it again wherever the owner runs; leave it out of the sources and import the owner, then import; nothing was written$/m,
    );
    expect(existsSync(join(ws.root, 'apps/ownapp'))).toBe(false);
  });

  it("leaves out an ownerReference that no controller holds: the old cluster's uid would have the object collected", async () => {
    const source = join(fixtures, 'exported', 'garbage-owned.yaml');
    const r = await importApp(ws.root, { name: 'gcapp', envs: envSources(source), install: false });
    expect(r.dropped).toStrictEqual({ fields: ['metadata.ownerReferences'], objects: 1 });
    const written = Object.values({ ...filesUnder(ws.root, 'apps/gcapp'), ...filesUnder(ws.root, 'base/gcapp') }).join('\n');
    expect(written).not.toContain('ownerReferences');
    expect(written).not.toContain('444455556666');
  });

  it('refuses an app that exists, and writes nothing', async () => {
    await importApp(ws.root, { name: 'ledger', envs, install: false });
    await expect(importApp(ws.root, { name: 'ledger', envs, install: false })).rejects.toThrow(
      'apps/ledger already exists; pick another --name or remove it first',
    );
  });

  it('refuses a Windows device name as --name, and writes nothing', async () => {
    await expect(importApp(ws.root, { name: 'aux', envs, install: false })).rejects.toThrow(
      /^--name aux: AUX is a device name on Windows .*; pick another --name$/,
    );
    expect(existsSync(join(ws.root, 'apps/aux'))).toBe(false);
  });

  it('refuses a missing env with a usage error', async () => {
    await expect(importApp(ws.root, { name: 'ledger', envs: envs.slice(0, 2), install: false })).rejects.toThrow(
      'missing --env prod=PATH; every env needs its source',
    );
    expect(existsSync(join(ws.root, 'apps/ledger'))).toBe(false);
  });
});

/** The real kustomize build of a fixture folder, generated names without their hash suffix. */
async function source(dir: string): Promise<Manifest[]> {
  const [r] = await buildOverlays(ws.root, [join(fixtures, dir)], { concurrency: 1 });
  expect(r!.error).toBeUndefined();
  const ms = parseBuild(r!.yaml, dir);
  // Generated Secrets lose their hash too: the ExternalSecret that replaces one makes it by its plain name.
  const secrets = new Map(
    ms.filter((m) => m.kind === 'Secret' && HASH.test(m.metadata.name)).map((m) => [m.metadata.name, m.metadata.name.replace(HASH, '')]),
  );
  return unhashed(JSON.parse(JSON.stringify(ms, (_k, v: unknown) => (typeof v === 'string' && secrets.has(v) ? secrets.get(v) : v))) as Manifest[]);
}

describe('strata import of a Kustomize base with an overlay per env', () => {
  it(
    'round-trips prefixes, namespaces, generators, strategic-merge and JSON patches, an added and a deleted object, replicas, images and a CRD',
    { timeout: 180_000 },
    async () => {
      const r = await importApp(ws.root, { name: 'shop', path: join(fixtures, 'shop'), install: false });
      const out = await built('shop');
      for (const env of ENVIRONMENTS) {
        const want = await source(`shop/overlays/${env}`);
        // The same objects, as data, but for the Secret: kept as a reference, never as a value.
        expect(out[env].filter((m) => m.kind !== 'ExternalSecret')).toStrictEqual(want.filter((m) => m.kind !== 'Secret'));
        const secret = want.find((m) => m.kind === 'Secret')!;
        const es = out[env].find((m) => m.kind === 'ExternalSecret') as Manifest & {
          spec: { target: unknown; data: { secretKey: string; remoteRef: unknown }[] };
        };
        expect([es.metadata.name, es.metadata.namespace]).toStrictEqual([secret.metadata.name, secret.metadata.namespace]);
        expect(es.spec.data.map((d: { secretKey: string }) => d.secretKey)).toStrictEqual(Object.keys(secret.data as object).sort());
        expect(JSON.stringify(out[env])).not.toContain(Buffer.from('base-key-never-committed').toString('base64'));
      }
      // dev deletes the autoscaler, prod adds a PodDisruptionBudget: both are switches.
      expect(out.dev.some((m) => m.kind === 'HorizontalPodAutoscaler')).toBe(false);
      expect(out.prod.filter((m) => m.kind === 'PodDisruptionBudget').map((m) => m.metadata.name)).toStrictEqual(['prod-storefront']);
      expect(r.warnings.filter((w) => w.includes('Secret'))).toHaveLength(3);

      const app = filesUnder(ws.root, 'apps/shop');
      const config = app['apps/shop/src/config.ts']!;
      expect(config).toContain('readonly namePrefix: string;');
      expect(config).toContain('readonly horizontalPodAutoscalerEnabled: boolean;');
      expect(config).toContain('readonly podDisruptionBudgetEnabled: boolean;');
      expect(app['apps/shop/src/env/dev.ts']).toContain("namePrefix: 'dev-'");
      expect(app['apps/shop/src/render.ts']).toContain(
        "import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';",
      );
      expect(app['apps/shop/src/render.ts']).toContain('[GENERATED_ANNOTATION]');
      // Three different images: prod's is the default, dev and staging pin theirs.
      expect(config).toContain("digest: 'sha256:3b1f6c2d8e9a0b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4'");
      expect(JSON.parse(app['apps/shop/images.json']!)).toStrictEqual({
        dev: { storefront: { repository: 'ghcr.io/acme/storefront', tag: '1.9.0-beta.3' } },
        staging: { storefront: { repository: 'ghcr.io/acme/storefront', tag: '1.8.1' } },
      });
      expect(app['apps/shop/src/env/prod.ts']).toContain(
        "storefront: { limitsMemory: '2Gi', requestsMemory: '1Gi', podDisruptionBudgetEnabled: true }",
      );
      // Generated ConfigMaps keep their hash behaviour in the emitted tree.
      expect(readFileSync(join(ws.root, 'base/shop/kustomization.yaml'), 'utf8')).toContain('configMapGenerator:');
    },
  );
});

describe('strata import refuses what it cannot import faithfully', () => {
  it.each([
    [
      'helm',
      /unsupported\/helm\/kustomization\.yaml: helmCharts: Helm inflation cannot be imported faithfully; render the chart once \(helm template \.\.\. > chart\.yaml\), list that file under resources, then import$/,
    ],
    [
      'remote',
      /unsupported\/remote\/kustomization\.yaml:5: resources\[1\]: https:\/\/github\.com\/example-org\/gateway-manifests\/\/deploy\?ref=v1\.2\.0: a remote resource cannot be imported \(it needs the network and may change\); vendor it into a local folder, point the kustomization at that folder, then import$/,
    ],
    [
      'plugin',
      /unsupported\/plugin\/kustomization\.yaml: transformers: KRM function and plugin transformers cannot be imported; run them .*, save the output as YAML and import that folder$/,
    ],
  ])('%s: one line naming the feature and what to do, and nothing written', async (dir, line) => {
    const before = filesUnder(ws.root, '.');
    const envs = envSources((e) => join(fixtures, 'unsupported', e === 'prod' ? dir : 'plain'));
    const err = await importApp(ws.root, { name: 'gateway', envs, install: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).lines).toHaveLength(1);
    expect((err as ImportError).lines[0]).toMatch(line);
    expect(filesUnder(ws.root, '.')).toStrictEqual(before);
  });
});

describe('strata import writes the core kit where the original holds what a kit block makes', () => {
  it('uses the restricted contexts, kube-dns egress and default-deny blocks, and builds to the same objects', { timeout: 120_000 }, async () => {
    await importApp(ws.root, { name: 'rates', envs: envSources(join(fixtures, 'hardened')), install: false });
    const out = await built('rates');
    for (const env of ENVIRONMENTS) expect(out[env]).toStrictEqual(await source('hardened'));
    const render = filesUnder(ws.root, 'apps/rates')['apps/rates/src/render.ts']!;
    expect(render).toContain(
      "import { defaultDenyPolicy, kubeDnsEgress, restrictedContainerSecurityContext, restrictedPodSecurityContext, type KubeObject } from '@strata/core';",
    );
    expect(render).toContain('securityContext: restrictedContainerSecurityContext(),');
    expect(render).toContain('securityContext: restrictedPodSecurityContext({ user: 10001 }),');
    expect(render).toContain("defaultDenyPolicy({ name: 'default-deny', namespace: c.namespace, labels: { 'app.kubernetes.io/name': 'rates' } }),");
    expect(render).toContain('egress: [kubeDnsEgress()],');
    // A context the kit would not produce (escalation allowed) stays as it was.
    expect(render).toContain("securityContext: { allowPrivilegeEscalation: true, capabilities: { drop: ['ALL'] }, runAsNonRoot: true },");
  });
});

describe("strata import of Kustomize's builtin transformers", () => {
  it('imports what a builtin transformer produced, and says it kept the result', { timeout: 120_000 }, async () => {
    const r = await importApp(ws.root, { name: 'limits', envs: envSources(join(fixtures, 'builtin')), install: false });
    const out = await built('limits');
    for (const env of ENVIRONMENTS) expect(out[env]).toStrictEqual(await source('builtin'));
    expect(out.dev[0]!.metadata.labels).toStrictEqual({ owner: 'payments-team' });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(
      /builtin\/kustomization\.yaml: transformers: Kustomize's builtin transformers \(LabelTransformer\) imported as the objects they produce; a value they set in several places becomes one setting of the typed config$/,
    );
  });
});

describe('strata import of a kind Strata has no schema for', () => {
  it('keeps it, and warns that validation fails on it until its CRD is added or it moves to a served API', { timeout: 120_000 }, async () => {
    const r = await importApp(ws.root, { name: 'shapes', envs: envSources(join(fixtures, 'unknown-kind')), install: false });
    expect((await built('shapes')).prod.map((m) => m.kind).sort()).toStrictEqual(['Ingress', 'Widget']);
    expect(r.warnings).toStrictEqual([
      'dev: Ingress networking.k8s.io/v1beta1: Kubernetes 1.36 does not serve it, so strata pipeline and validate fail on it (no schema); move it to an apiVersion that release serves',
      'Widget widgets.example.org/v1: Strata has no schema for it, so strata pipeline and validate fail on it (no schema) until its CRD is added: run `npx strata crd add <a file or Go module@version with its CustomResourceDefinition>`, or fix the apiVersion',
      'prod: Ingress networking.k8s.io/v1beta1: Kubernetes 1.35 does not serve it, so strata pipeline and validate fail on it (no schema); move it to an apiVersion that release serves',
    ]);
  });

  it(
    'finds the schema of a kind the project added with strata crd add, and names the apiVersion of a kind whose CRD Strata ships',
    { timeout: 120_000 },
    async () => {
      // What `strata crd add` of the Widget CRD keeps for validate: its schema where kubeconform looks after the shipped ones.
      mkdirSync(join(ws.root, 'crds/schemas/widgets.example.org'), { recursive: true });
      writeFileSync(join(ws.root, 'crds/schemas/widgets.example.org/widget_v1.json'), '{"type": "object"}\n');
      await inTempDir('strata-import-kinds-', async (dir) => {
        writeFileSync(join(dir, 'widget.yaml'), readFileSync(join(fixtures, 'unknown-kind', 'widget.yaml')));
        writeFileSync(
          join(dir, 'certificate.yaml'),
          'apiVersion: cert-manager.io/v1beta1\nkind: Certificate\nmetadata:\n  name: web\n  namespace: shapes\nspec:\n  secretName: web-tls\n  dnsNames: [shapes.example.org]\n  issuerRef: {name: letsencrypt, kind: ClusterIssuer}\n',
        );
        const r = await importApp(ws.root, { name: 'shapes', envs: envSources(dir), install: false });
        expect(r.warnings).toStrictEqual([
          'Certificate cert-manager.io/v1beta1: Strata ships the CRD of cert-manager.io Certificate, which serves cert-manager.io/v1, so strata pipeline and validate fail on it (no schema); move it to that apiVersion',
        ]);
      });
    },
  );
});

describe('strata import of a custom resource together with its CRD', () => {
  it('says to add the CRD it imported with strata crd add', { timeout: 120_000 }, async () => {
    const r = await importApp(ws.root, { name: 'gadgets', envs: envSources(join(fixtures, 'crd-and-cr')), install: false });
    expect((await built('gadgets')).dev.map((m) => m.kind).sort()).toStrictEqual(['CustomResourceDefinition', 'Gadget']);
    expect(r.warnings).toStrictEqual([
      'Gadget tools.example.org/v1: Strata has no schema for it, so strata pipeline and validate fail on it (no schema) until its CRD is added: its CustomResourceDefinition is among the imported objects: run `npx strata crd add <the file that holds it>`, or fix the apiVersion',
    ]);
  });
});

describe('strata import refuses sources that are not valid objects', () => {
  it.each([
    [
      'kindonly',
      /invalid\/kindonly: Widget blue-widget: has no apiVersion; it is not a Kubernetes object: complete it in the source or remove it, then import$/,
    ],
    [
      'generate-name-yaml',
      /invalid\/generate-name-yaml\/job\.yaml:5: Job migrate-\*: has only a metadata\.generateName; objects named only by generateName are not supported in apps \(an app's objects are files named after them, and kustomize builds none without a name\): give it a metadata\.name in the source, then import \(Argo CD creates a named hook anew on every sync when its hook-delete-policy holds BeforeHookCreation, the default\)$/,
    ],
    [
      'selector',
      /invalid\/selector: apps\/v1\/Deployment worker: spec: must have required property selector: not a valid Deployment, which an API server would refuse too; fix it in the source, then import$/,
    ],
    [
      'aliasbomb-yaml',
      /invalid\/aliasbomb-yaml\/configmap\.yaml:8: not valid YAML: its aliases expand into an enormous document \(an alias bomb\); kubectl refuses it/,
    ],
    [
      'aliasbomb',
      /invalid\/aliasbomb: kustomize build failed: \S*invalid\/aliasbomb\/configmap\.yaml:8: not valid YAML: its aliases expand into an enormous document \(an alias bomb\)/,
    ],
    [
      'long-integer',
      /invalid\/long-integer: batch\/v1\/Job reindex: spec\.activeDeadlineSeconds: 9223372036854775807 is past 2\^53, which an app's typed config holds as a JavaScript number, 9223372036854776000, and would ship so; give it a value of at most 9007199254740991 in the source, then import$/,
    ],
    [
      'long-integer-yaml',
      /invalid\/long-integer-yaml\/job\.yaml:6: batch\/v1\/Job reindex: spec\.activeDeadlineSeconds: 9223372036854775807 is past 2\^53, which an app's typed config holds as a JavaScript number, 9223372036854776000, and would ship so; give it a value of at most 9007199254740991 in the source, then import$/,
    ],
    // An image the container runtime cannot parse, at the images: entry that made it, or at the resource's line.
    [
      'image-tag',
      /invalid\/image-tag\/kustomization\.yaml:8: apps\/v1\/Deployment shop\/api: spec\.template\.spec\.containers\[0\]\.image: Container "api" has image "registry\.example\.org\/shop\/api:3\.2\.0:3\.1\.0", which the kubelet refuses to pull \(InvalidImageName\): its tag "3\.2\.0:3\.1\.0" may hold only letters, digits, "_", "\." and "-", must not start with "\." or "-", and is at most 128 characters long: fix the tag there, then import; nothing was written$/,
    ],
    [
      'image-digest',
      /invalid\/image-digest\/kustomization\.yaml:6: apps\/v1\/Deployment shop\/api: spec\.template\.spec\.containers\[0\]\.image: Container "api" has image "registry\.example\.org\/shop\/api@sha256:0123abcd", which the kubelet refuses to pull \(InvalidImageName\): its digest "sha256:0123abcd" is not 64 lowercase hex digits after "sha256:": use the full digest the registry reports there, then import; nothing was written$/,
    ],
    [
      'image-yaml',
      /invalid\/image-yaml\/deployment\.yaml:17: apps\/v1\/Deployment shop\/api: spec\.template\.spec\.containers\[0\]\.image: Container "api" has image "registry\.example\.org\/Shop\/api:3\.1\.0", which the kubelet refuses to pull \(InvalidImageName\): its repository "registry\.example\.org\/Shop\/api" has the path component "Shop", which must be lower case: fix the repository name there, then import; nothing was written$/,
    ],
  ])('%s: one line naming the object, however many envs share the source, and nothing written', async (dir, line) => {
    const before = filesUnder(ws.root, '.');
    const err = await importApp(ws.root, {
      name: 'broken',
      envs: envSources(join(fixtures, 'invalid', dir)),
      install: false,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).lines).toHaveLength(1);
    expect((err as ImportError).lines[0]).toMatch(line);
    expect(filesUnder(ws.root, '.')).toStrictEqual(before);
  });
});

describe("strata import runs the API server's field checks that strata pipeline runs", () => {
  // A NodePort Service exported from a cluster whose node port range held 8080, which kubectl's
  // last applied configuration shows was asked for, so the import keeps it: kubeconform and the
  // Service's model take any port, the API server of the project's clusters (30000-32767 unless
  // strata.config.json says otherwise) does not.
  const service = [
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    '  name: admin',
    '  namespace: shop',
    '  uid: 5f0c8a2e-3d4b-4c1e-9a7f-2b6d8e0c1a3f',
    '  resourceVersion: "48213"',
    '  annotations:',
    `    kubectl.kubernetes.io/last-applied-configuration: '${JSON.stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'admin', namespace: 'shop' },
      spec: { type: 'NodePort', selector: { app: 'admin' }, ports: [{ port: 80, nodePort: 8080 }] },
    })}'`,
    'spec:',
    '  type: NodePort',
    '  selector:',
    '    app: admin',
    '  clusterIP: 10.43.12.7',
    '  clusterIPs: [10.43.12.7]',
    '  ports:',
    '    - port: 80',
    '      targetPort: 80',
    '      protocol: TCP',
    '      nodePort: 8080',
    '',
  ].join('\n');

  it("refuses, with the pipeline's message at the field's line, what the server refuses, and takes it where the project's clusters would", async () => {
    const source = join(ws.root, 'exported.yaml');
    writeFileSync(source, service);
    const before = filesUnder(ws.root, '.');
    const err = await importApp(ws.root, { name: 'admin', envs: envSources(source), install: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    // What strata validate and the pipeline report of it (of the export as it is, its uid too).
    const judged = (await validate(ws.root, [source], { policy: false })).problems.filter((p) => p.path === 'spec.ports[0].nodePort');
    expect(judged.map((p) => [p.rule, p.message])).toStrictEqual([
      ['server-validation', 'Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767'],
    ]);
    expect((err as ImportError).lines).toStrictEqual([
      `${source}:20: v1/Service shop/admin: spec.ports[0].nodePort: ${judged[0]!.message} [server-validation]; the API server refuses it (dev, staging, prod), and so would strata pipeline: fix it in the source, then import; nothing was written`,
    ]);
    expect(filesUnder(ws.root, '.')).toStrictEqual(before);

    // Clusters whose node port range holds it take it, and so does the import.
    const config = JSON.parse(readFileSync(join(ws.root, 'strata.config.json'), 'utf8')) as { kubernetes: Record<string, unknown> };
    config.kubernetes.serviceNodePortRange = '8000-9000';
    writeFileSync(join(ws.root, 'strata.config.json'), `${JSON.stringify(config, null, 2)}\n`);
    const r = await importApp(ws.root, { name: 'admin', envs: envSources(source), install: false });
    expect(r.dropped.fields).toContain('spec.clusterIP');
    expect((await built('admin')).dev.find((m) => m.kind === 'Service')).toMatchObject({ spec: { ports: [{ nodePort: 8080 }] } });
  });
});

describe('strata import names sources as they were typed', () => {
  const deployment = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: shop, namespace: shop}',
    'spec:',
    '  selector: {matchLabels: {app: shop}}',
    '  template:',
    '    metadata: {labels: {app: shop}}',
    '    spec:',
    '      containers:',
    '        - name: shop',
    '          image: registry.example/shop:1.0.0',
    '          env:',
    '            - name: ON',
    '              value: "1"',
    '',
  ].join('\n');
  const refusal = async (cwd: string, path: string): Promise<readonly string[]> => {
    const err = await importApp(ws.root, { name: 'shop', envs: envSources(path), cwd, install: false }).catch((e: unknown) => e);
    if (!(err instanceof Error)) throw new Error(`import of ${path} did not fail`);
    return err instanceof ImportError ? err.lines : [err.message];
  };

  it('absolute when typed so, else from the folder the command runs in', async () => {
    await inTempDir('strata-import-typed-', async (dir) => {
      mkdirSync(join(dir, 'src', 'plain'), { recursive: true });
      mkdirSync(join(dir, 'work'));
      const cwd = join(dir, 'work');
      writeFileSync(join(dir, 'src', 'app.yaml'), deployment);
      writeFileSync(join(dir, 'src', 'plain', 'bad.yaml'), 'apiVersion: v1\nmetadata: {name: settings}\n');
      const invalid =
        ': apps/v1/Deployment shop/shop: spec.template.spec.containers[0].env[0].name: must be string: not a valid Deployment, which an API server would refuse too; fix it in the source, then import';
      expect(await refusal(cwd, join(dir, 'src', 'app.yaml'))).toStrictEqual([`${join(dir, 'src', 'app.yaml')}${invalid}`]);
      expect(await refusal(cwd, '../src/app.yaml')).toStrictEqual([`../src/app.yaml${invalid}`]);
      const [unread] = await refusal(cwd, join(dir, 'src', 'plain'));
      expect(unread!.startsWith(`${join(dir, 'src', 'plain', 'bad.yaml')}:1: `)).toBe(true);
      expect((await refusal(cwd, '../src/plain'))[0]!.startsWith('../src/plain/bad.yaml:1: ')).toBe(true);
      expect(await refusal(cwd, join(dir, 'src', 'gone.yaml'))).toStrictEqual([`--env dev=${join(dir, 'src', 'gone.yaml')}: no such file or folder`]);
    });
  });
});

describe('strata import proves before it writes', () => {
  it(
    'refuses, listing every object and field that would differ, when the generated app does not build to the source, and writes nothing',
    { timeout: 120_000 },
    async () => {
      // An immutable generated ConfigMap: a generator of literals does not say immutable.
      const before = filesUnder(ws.root, '.');
      const path = join(fixtures, 'immutable');
      const err = await importApp(ws.root, { name: 'flags', envs: envSources(path), install: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImportError);
      expect((err as ImportError).lines).toStrictEqual([
        'the imported app does not build to its sources; nothing was written:',
        ...ENVIRONMENTS.map((e) => `${e}: v1/ConfigMap flags/flags: immutable: source true, imported absent`),
      ]);
      expect(filesUnder(ws.root, '.')).toStrictEqual(before);
    },
  );
});

describe('strata import of a generator with binary files', () => {
  it('keeps binaryData, its hash behaviour and what differs per env', { timeout: 120_000 }, async () => {
    const envs = envSources((e) => join(fixtures, e === 'dev' ? 'binary/dev' : 'binary/base'));
    await importApp(ws.root, { name: 'brand', envs, install: false });
    const out = await built('brand');
    for (const env of ENVIRONMENTS) expect(out[env]).toStrictEqual(await source(env === 'dev' ? 'binary/dev' : 'binary/base'));
    expect(out.dev.find((m) => m.metadata.name === 'brand')).toMatchObject({
      binaryData: { 'icon.png': 'iVBORw0KGgr//gABZGV2', 'logo.png': 'iVBORw0KGgr//gABZGV2' },
    });
    expect(out.prod.find((m) => m.metadata.name === 'brand')).toMatchObject({ binaryData: { 'logo.png': 'iVBORw0KGgoAAAANSUhEUv/+' } });
    // The bytes are part of the generated name: a changed file rolls what mounts it.
    const names = await buildOverlays(ws.root, ['overlays/dev/brand', 'overlays/prod/brand'], { concurrency: 1 });
    const hashed = names.map((r) => parseBuild(r.yaml, r.overlay).find((m) => m.metadata.name.startsWith('brand-'))!.metadata.name);
    expect(hashed[0]).toMatch(HASH);
    expect(hashed[0]).not.toBe(hashed[1]);
    expect(readFileSync(join(ws.root, 'base/brand/configmap.brand.patch.yaml'), 'utf8')).toContain('logo.png: iVBORw0KGgoAAAANSUhEUv/+');
  });
});

describe('strata import of the layout Strata writes (base/<app>, overlays/<env>/<app>)', () => {
  it('finds each env under overlays/<env>/<name>, keeps what replacements produced as values, and says so', { timeout: 120_000 }, async () => {
    const r = await importApp(ws.root, { name: 'api', path: join(fixtures, 'layout'), install: false });
    const out = await built('api');
    for (const env of ENVIRONMENTS) expect(out[env]).toStrictEqual(await source(`layout/overlays/${env}/api`));
    expect(out.prod.find((m) => m.kind === 'Deployment')).toMatchObject({
      spec: { template: { spec: { containers: [{ env: [{ name: 'PUBLIC_URL', value: 'https://prod.api.example.com' }] }] } } },
    });
    expect(r.warnings).toHaveLength(3);
    expect(r.warnings[0]).toMatch(
      /layout\/overlays\/dev\/api\/kustomization\.yaml: replacements: imported as the values they produce; a value copied into several fields becomes one setting of the typed config, any other link is not kept$/,
    );
    // The URL the replacement copied is one setting, set per env.
    expect(filesUnder(ws.root, 'apps/api')['apps/api/src/env/dev.ts']).toContain("url: 'https://dev.api.example.com'");
  });
});

describe('strata import PATH of an overlays/ folder with an env Strata does not have', () => {
  it('refuses in one line naming the overlay and how to import it, and writes nothing', { timeout: 120_000 }, async () => {
    await inTempDir('strata-import-qa-', async (dir) => {
      const service = (env: string) =>
        `apiVersion: v1\nkind: Service\nmetadata: {name: web-${env}, namespace: lay}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: 8080}]\n`;
      // overlays/common is what the envs build on, overlays/tls a Component: neither is an env.
      mkdirSync(join(dir, 'overlays', 'common'), { recursive: true });
      writeFileSync(join(dir, 'overlays', 'common', 'kustomization.yaml'), 'resources: [svc.yaml]\n');
      writeFileSync(join(dir, 'overlays', 'common', 'svc.yaml'), service('common'));
      mkdirSync(join(dir, 'overlays', 'tls'));
      writeFileSync(join(dir, 'overlays', 'tls', 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n');
      mkdirSync(join(dir, 'overlays', 'notes'));
      for (const env of [...ENVIRONMENTS, 'qa']) {
        mkdirSync(join(dir, 'overlays', env), { recursive: true });
        writeFileSync(join(dir, 'overlays', env, 'kustomization.yaml'), `resources: [svc.yaml${env === 'qa' ? '' : ', ../common'}]\n`);
        writeFileSync(join(dir, 'overlays', env, 'svc.yaml'), service(env));
      }
      const before = filesUnder(ws.root, '.');
      const err = await importApp(ws.root, { name: 'lay', path: '.', cwd: dir, install: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toBe(
        "overlays/qa: an overlay of an env Strata does not have (its envs are dev, staging, prod), which PATH alone would not import; import it as one of Strata's envs with --env dev=PATH --env staging=PATH --env prod=PATH (e.g. --env staging=overlays/qa), or rename or remove the folder, then import; nothing was written",
      );
      expect(filesUnder(ws.root, '.')).toStrictEqual(before);
      // Without it, PATH imports every env.
      rmSync(join(dir, 'overlays', 'qa'), { recursive: true });
      const r = await importApp(ws.root, { name: 'lay', path: dir, install: false });
      expect(r.objects).toStrictEqual({ dev: 2, staging: 2, prod: 2 });
    });
  });
});

describe('strata import of text written on Windows', () => {
  it('keeps the carriage returns of a generated file, so the overlays build to the same ConfigMap', { timeout: 120_000 }, async () => {
    await inTempDir('strata-crlf-', async (dir) => {
      const ini = '[server]\r\nport = 8080\r\nhost = 0.0.0.0\r\nname = windows-authored\r\n';
      writeFileSync(join(dir, 'app.ini'), ini);
      writeFileSync(join(dir, 'kustomization.yaml'), 'namespace: shop\nconfigMapGenerator:\n  - name: cfg\n    files: [app.ini]\n');
      const envs = envSources(dir);
      await importApp(ws.root, { name: 'crlfgen', envs, install: false });
      const out = await built('crlfgen');
      for (const env of ENVIRONMENTS) expect(out[env].map((m) => m.data)).toStrictEqual([{ 'app.ini': ini }]);
    });
  });
});

describe("strata import of a reference that the sources' configurations: suffix", () => {
  it('refuses it, naming the field, where the generated overlays would name a ConfigMap that does not exist', { timeout: 120_000 }, async () => {
    await inTempDir('strata-nameref-', async (dir) => {
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        'namespace: shop\nresources: [pointer.yaml]\nconfigMapGenerator:\n  - name: settings\n    literals: [LOG=debug]\nconfigurations: [nameref.yaml]\n',
      );
      writeFileSync(join(dir, 'pointer.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pointer\ndata:\n  target: settings\n');
      writeFileSync(
        join(dir, 'nameref.yaml'),
        'nameReference:\n  - kind: ConfigMap\n    fieldSpecs:\n      - path: data/target\n        kind: ConfigMap\n',
      );
      const before = filesUnder(ws.root, '.');
      const err = await importApp(ws.root, { name: 'pointer', envs: envSources(dir), install: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImportError);
      const lines = (err as Error).message.split('\n');
      expect(lines[0]).toBe('the imported app does not build to its sources; nothing was written:');
      expect(lines.slice(1)).toHaveLength(3);
      expect(lines[1]).toMatch(
        /^dev: v1\/ConfigMap shop\/pointer: data\.target: the source names the generated ConfigMap "settings" with its hash suffix \("settings-[2456789bcdfghkmt]{10}"\), .*give that configMapGenerator entry options: \{disableNameSuffixHash: true\} in the sources, then import$/,
      );
      expect(filesUnder(ws.root, '.')).toStrictEqual(before);
      // Without the suffix, the same sources import.
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        'namespace: shop\nresources: [pointer.yaml]\nconfigMapGenerator:\n  - name: settings\n    literals: [LOG=debug]\n    options: {disableNameSuffixHash: true}\nconfigurations: [nameref.yaml]\n',
      );
      await importApp(ws.root, { name: 'pointer', envs: envSources(dir), install: false });
    });
  });
});

describe('strata import of a plain ConfigMap beside a generator', () => {
  it('keeps the name of one that only ends in ten letters and digits, which no kustomize hash suffix spells', { timeout: 120_000 }, async () => {
    await inTempDir('strata-not-hashed-', async (dir) => {
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        'namespace: shop\nresources: [snapshot.yaml]\nconfigMapGenerator:\n  - name: app\n    literals: [LOG=debug]\n',
      );
      writeFileSync(join(dir, 'snapshot.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config-2024120701\ndata:\n  taken: "yes"\n');
      await importApp(ws.root, { name: 'snap', envs: envSources(dir), install: false });
      const results = await buildOverlays(ws.root, ['overlays/dev/snap'], { concurrency: 1 });
      const names = parseBuild(results[0]!.yaml, results[0]!.overlay).map((m) => m.metadata.name);
      // The generator's output keeps its hash behaviour; the plain ConfigMap keeps its name, unsuffixed.
      expect(names).toContain('app-config-2024120701');
      expect(names.filter((n) => n.startsWith('app-'))).toHaveLength(2);
      expect(readFileSync(join(ws.root, 'base/snap/kustomization.yaml'), 'utf8')).not.toContain('- name: app-config');
    });
  });
});

describe('strata import of strings that go-yaml reads as numbers when they are left plain', () => {
  it('writes them quoted in the base and the overlays, so kustomize builds them back as the same strings', { timeout: 120_000 }, async () => {
    await inTempDir('strata-go-numbers-', async (dir) => {
      const configMap = (data: Record<string, string>) =>
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tricky\n  namespace: tricky\ndata:\n${Object.entries(data)
          .map(([k, v]) => `  ${k}: "${v}"\n`)
          .join('')}`;
      const shared = { mode: '0o755', mask: '0X1F', bits: '0B1', sign: '-0o1', sep: '0o1_7', plus: '+_1', upper: '0O17' };
      const data: Record<Environment, Record<string, string>> = { dev: shared, staging: shared, prod: { ...shared, mode: '0o17', more: '0o10' } };
      for (const env of ENVIRONMENTS) {
        mkdirSync(join(dir, env));
        writeFileSync(join(dir, env, 'tricky.yaml'), configMap(data[env]));
      }
      await importApp(ws.root, { name: 'tricky', envs: envSources((e) => join(dir, e)), install: false });
      const out = await built('tricky');
      for (const env of ENVIRONMENTS) expect(out[env].map((m) => m.data)).toStrictEqual([data[env]]);
      expect(readFileSync(join(ws.root, 'base/tricky/configmap.tricky.yaml'), 'utf8')).toContain('mask: "0X1F"\n');
    });
  });
});

describe('strata import of plain YAML reads it as kubectl apply -f does', () => {
  it(
    'takes YAML 1.1 numbers and booleans, merge keys and lists of any kind as kubectl does, and says where kustomize reads it otherwise',
    { timeout: 120_000 },
    async () => {
      await inTempDir('strata-yaml11-', async (dir) => {
        writeFileSync(
          join(dir, 'objects.yaml'),
          [
            'apiVersion: apps/v1',
            'kind: Deployment',
            'metadata: {name: web, namespace: shop}',
            'spec:',
            '  replicas: 010',
            '  selector: {matchLabels: {app: web}}',
            '  template:',
            '    metadata: {labels: {app: web}}',
            '    spec: {containers: [{name: web, image: "nginx:1.27"}]}',
            '---',
            'apiVersion: v1',
            'kind: Service',
            'metadata:',
            '  name: web',
            '  namespace: shop',
            '  labels: {<<: {team: shop}, tier: "1"}',
            'spec:',
            '  publishNotReadyAddresses: yes',
            '  selector: {app: web}',
            '  ports: [{port: 80}]',
            '---',
            'apiVersion: v1',
            'kind: ConfigMapList',
            'items:',
            '  - apiVersion: v1',
            '    kind: ConfigMap',
            '    metadata: {name: settings, namespace: shop}',
            '    data: {mode: fast}',
            '',
          ].join('\n'),
        );
        const envs = envSources(dir);
        const r = await importApp(ws.root, { name: 'yaml11', envs, install: false });
        const out = await built('yaml11');
        const of = (kind: string) => out.prod.find((m) => m.kind === kind) as Manifest & { spec?: Record<string, unknown>; data?: unknown };
        expect(of('Deployment').spec!.replicas).toBe(8);
        expect(of('Service').metadata.labels).toStrictEqual({ team: 'shop', tier: '1' });
        expect(of('Service').spec!.publishNotReadyAddresses).toBe(true);
        expect(of('ConfigMap').data).toStrictEqual({ mode: 'fast' });
        // Read otherwise by kustomize (YAML 1.2): said once, at its line, though three envs read the file.
        expect(
          r.warnings.filter((w) =>
            /objects\.yaml:18: kubectl \(YAML 1\.1\) reads true here but kustomize \(YAML 1\.2\) "yes".*; imported as kubectl reads it$/.test(w),
          ),
        ).toHaveLength(1);
      });
    },
  );
});

describe('strata import of plain YAML saved as UTF-16', () => {
  it(
    'imports the objects kubectl apply -f reads from a UTF-16 file with a byte order mark, and says kustomize would read it otherwise',
    { timeout: 120_000 },
    async () => {
      await inTempDir('strata-utf16-', async (dir) => {
        const text = [
          'apiVersion: v1',
          'kind: ConfigMap',
          'metadata:',
          '  name: greeting',
          '  namespace: shop',
          'data:',
          '  hello: "grüße, 世界"',
          '---',
          'apiVersion: apps/v1',
          'kind: Deployment',
          'metadata: {name: greeter, namespace: shop}',
          'spec:',
          '  replicas: 3',
          '  selector: {matchLabels: {app: greeter}}',
          '  template:',
          '    metadata: {labels: {app: greeter}}',
          '    spec: {containers: [{name: greeter, image: "nginx:1.27"}]}',
          '',
        ].join('\r\n');
        // Windows' "Unicode" as Notepad saves it: UTF-16 little-endian with a byte order mark, CRLF.
        writeFileSync(join(dir, 'dev.yaml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
        writeFileSync(join(dir, 'rest.yaml'), text.replace('replicas: 3', 'replicas: 5').replaceAll('\r\n', '\n'));
        const envs = envSources((e) => join(dir, e === 'dev' ? 'dev.yaml' : 'rest.yaml'));
        const r = await importApp(ws.root, { name: 'utf16', envs, install: false });
        const out = await built('utf16');
        const of = (env: Environment, kind: string) =>
          out[env].find((m) => m.kind === kind) as Manifest & { spec?: { replicas?: number }; data?: unknown };
        expect(of('dev', 'ConfigMap').data).toStrictEqual({ hello: 'grüße, 世界' });
        expect(of('dev', 'Deployment').spec!.replicas).toBe(3);
        expect(of('prod', 'Deployment').spec!.replicas).toBe(5);
        expect(out.dev.map(key)).toStrictEqual(['ConfigMap shop/greeting', 'Deployment shop/greeter']);
        expect(
          r.warnings.filter((w) =>
            /dev\.yaml:\d+: kubectl reads this UTF-16 file \(little-endian, with a byte order mark\).*; imported as kubectl reads it$/.test(w),
          ),
        ).toHaveLength(1);
      });
    },
  );
});

describe('strata import of plain YAML with a line break only YAML 1.1 knows', () => {
  it(
    'imports the objects kubectl apply -f reads where U+2028 breaks the line, and says kustomize would read it otherwise',
    { timeout: 120_000 },
    async () => {
      await inTempDir('strata-u2028-', async (dir) => {
        const text = (mode: string) =>
          ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: settings, namespace: shop}', 'data:', `  mode: ${mode}\u2028  level: "3"`, ''].join(
            '\n',
          );
        writeFileSync(join(dir, 'dev.yaml'), text('fast'));
        writeFileSync(join(dir, 'rest.yaml'), text('slow'));
        const envs = envSources((e) => join(dir, e === 'dev' ? 'dev.yaml' : 'rest.yaml'));
        const r = await importApp(ws.root, { name: 'lsep', envs, install: false });
        const out = await built('lsep');
        const data = (env: Environment) => (out[env].find((m) => m.kind === 'ConfigMap') as Manifest & { data?: unknown }).data;
        expect(data('dev')).toStrictEqual({ mode: 'fast', level: '3' });
        expect(data('prod')).toStrictEqual({ mode: 'slow', level: '3' });
        expect(
          r.warnings.filter((w) => /dev\.yaml:\d+: U\+2028 \(line separator\) is a line break to kubectl.*; imported as kubectl reads it$/.test(w)),
        ).toHaveLength(1);
      });
    },
  );
});

describe('strata import of objects with the longest names Kubernetes allows', () => {
  it('writes files whose names the file system takes, and the overlays build to the objects', { timeout: 120_000 }, async () => {
    const name = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    const dirs: string[] = [];
    try {
      const envs = ENVIRONMENTS.map((e) => {
        const dir = mkdtempSync(join(tmpdir(), 'strata-long-'));
        dirs.push(dir);
        // What differs in prod becomes a patch, the longest file name of all.
        writeFileSync(
          join(dir, 'objects.yaml'),
          `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: longname\ndata:\n  mode: ${e === 'prod' ? 'safe' : 'fast'}\n`,
        );
        return `${e}=${dir}`;
      });
      await importApp(ws.root, { name: 'longname', envs, install: false });
      const out = await built('longname');
      for (const env of ENVIRONMENTS) {
        expect(out[env].map((m) => [m.metadata.name, m.data])).toStrictEqual([[name, { mode: env === 'prod' ? 'safe' : 'fast' }]]);
      }
      expect(Object.keys(filesUnder(ws.root, 'overlays/prod/longname')).some((f) => f.endsWith('.patch.yaml'))).toBe(true);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('strata import refuses names that one checkout would merge into one file', () => {
  it.each([
    [
      'composed and decomposed',
      ['caf\u00e9', 'cafe\u0301'],
      /differ only in Unicode normalization .*, which collide on macOS; rename one; nothing was written$/,
    ],
    ['case', ['Viewer', 'viewer'], /differ only in case .*, which collide on macOS and Windows; rename one; nothing was written$/],
  ])('%s: one line naming the files, and nothing written', async (_, names, line) => {
    await inTempDir('strata-merged-', async (dir) => {
      const role = (name: string) =>
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: "${name}"\nrules:\n  - {apiGroups: [""], resources: [pods], verbs: [get]}\n`;
      writeFileSync(join(dir, 'roles.yaml'), names.map(role).join('---\n'));
      const before = filesUnder(ws.root, '.');
      const err = await importApp(ws.root, { name: 'roles', envs: envSources(dir), install: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImportError);
      expect((err as ImportError).lines).toHaveLength(1);
      expect((err as ImportError).lines[0]).toMatch(/^the sources' objects cannot be files of one checkout: base\/roles\/clusterrole\./);
      expect((err as ImportError).lines[0]).toMatch(line);
      expect(filesUnder(ws.root, '.')).toStrictEqual(before);
    });
  });
});

describe('strata import of a ConfigMap key __proto__', () => {
  // Valid for the API server; in JavaScript, `{ __proto__: v }` sets a prototype and the key is gone.
  const source = (env: string, extra = '') =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  __proto__: "${env === 'prod' ? 'guarded' : 'open'}"\n  constructor: "c"\n  toString: "t"\n${extra}`;

  it('keeps it in the app, the tree and every env, and proves it', { timeout: 120_000 }, async () => {
    const dirs: string[] = [];
    try {
      const envs = ENVIRONMENTS.map((e) => {
        const dir = mkdtempSync(join(tmpdir(), 'strata-proto-'));
        dirs.push(dir);
        writeFileSync(join(dir, 'settings.yaml'), source(e));
        // An object with the key in prod only: its patch adds it.
        writeFileSync(
          join(dir, 'more.yaml'),
          `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: more\n  namespace: shop\ndata:\n  a: b\n${e === 'prod' ? '  __proto__: late\n' : ''}`,
        );
        return `${e}=${dir}`;
      });
      await importApp(ws.root, { name: 'protokey', envs, install: false });
      const app = filesUnder(ws.root, 'apps/protokey');
      expect(app['apps/protokey/src/render.ts']).toContain("['__proto__']: ");
      // Every key written as a computed one, which makes a field (a plain or quoted key sets the prototype).
      const code = Object.entries(app)
        .filter(([f]) => f.endsWith('.ts'))
        .map(([, text]) => text)
        .join('\n');
      expect(code.split('__proto__').length).toBe(code.split("['__proto__']").length);
      expect(filesUnder(ws.root, 'base/protokey')['base/protokey/configmap.settings.yaml']).toMatch(/\ndata:\n {2}__proto__: \w+\n/);
      const out = await built('protokey');
      for (const env of ENVIRONMENTS) {
        const data = (name: string) => Object.entries(out[env].find((m) => m.metadata.name === name)!.data as object).sort();
        expect([env, data('settings')]).toStrictEqual([
          env,
          [
            ['__proto__', env === 'prod' ? 'guarded' : 'open'],
            ['constructor', 'c'],
            ['toString', 't'],
          ],
        ]);
        expect([env, data('more')]).toStrictEqual([
          env,
          env === 'prod'
            ? [
                ['__proto__', 'late'],
                ['a', 'b'],
              ]
            : [['a', 'b']],
        ]);
      }
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds a build that lost it: the round trip compares the key as data', () => {
    const parse = (text: string) => parseBuild(text, 'dev');
    const want = parse(source('dev'));
    const lost = parse(source('dev').replace(/ {2}__proto__: .*\n/, ''));
    const changed = parse(source('prod'));
    expect(differences('dev', want, lost)).toStrictEqual(['dev: v1/ConfigMap shop/settings: data.__proto__: source "open", imported absent']);
    expect(differences('dev', want, changed)).toStrictEqual(['dev: v1/ConfigMap shop/settings: data.__proto__: source "open", imported "guarded"']);
    expect(differences('dev', want, parse(source('dev')))).toStrictEqual([]);
  });
});

describe('strata import of lists that differ per env', () => {
  it(
    "declares their items' keys, so the env files that set them load, a misspelt key in them is refused, and the app type-checks",
    { timeout: 120_000 },
    async () => {
      // prod alone tolerates the GPU nodes (an empty list elsewhere) and reads a token (an env var of another shape).
      const envs = envSources((e) => join(fixtures, 'lists', e));
      await importApp(ws.root, { name: 'worker', envs, install: false });
      const out = await built('worker');
      for (const env of ENVIRONMENTS)
        expect(out[env]).toStrictEqual(unhashed(parseBuild(readFileSync(join(fixtures, 'lists', env, 'worker.yaml'), 'utf8'), env)));
      expect(readFileSync(join(ws.root, 'apps/worker/src/app.ts'), 'utf8')).toContain(
        `    worker: {
      env: [{ name: true, value: true, valueFrom: { secretKeyRef: { name: true, key: true } } }],
      tolerations: [{ effect: true, key: true, operator: true }],
    },`,
      );
      symlinkSync(join(repo, 'apps/tensafe/node_modules'), join(ws.root, 'apps/worker/node_modules'));
      const tsc = spawnSync(join(repo, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: join(ws.root, 'apps/worker'), encoding: 'utf8' });
      expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
      expect(tsc.status).toBe(0);
      const prod = join(ws.root, 'apps/worker/src/env/prod.ts');
      writeFileSync(prod, readFileSync(prod, 'utf8').replace("{ effect: 'NoSchedule'", "{ efect: 'NoSchedule'"));
      await expect(loadApps(ws.root, ['worker'])).rejects.toThrow(
        /^apps\/worker\/src\/env\/prod\.ts:9:\d+: worker\.tolerations\[0\]\.efect: not a key of app worker's config; did you mean worker\.tolerations\[0\]\.effect\?$/,
      );
    },
  );
});
