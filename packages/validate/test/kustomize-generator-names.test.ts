import { suiteTempDir, writeTree } from '@strata/testing/temp';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validate } from '../src/index.ts';
import { deploymentYaml, kustomizeBuild, repo } from './kustomize-trees.ts';

/**
 * A kustomization's configMapGenerator and secretGenerator make objects that no file of a folder
 * walk holds: kustomize names them (prefix, generator name, hash suffix) and rewrites the references
 * to the generator's name. A reference to a generated name is no missing object; one to a name that
 * neither a generator nor an object provides still is.
 */
/** Two ConfigMaps: "settings", named with a hash, and "plain", without. */
const CONFIG_MAP_GENERATORS = `configMapGenerator:
  - name: settings
    literals: [LOG_LEVEL=debug]
  - name: plain
    literals: [MODE=fixed]
    options:
      disableNameSuffixHash: true
`;

const TREE: Record<string, string> = {
  'kustomization.yaml': `namePrefix: shop-
resources:
  - deployment.yaml
${CONFIG_MAP_GENERATORS}secretGenerator:
  - name: creds
    literals: [TOKEN=t0k3n]
`,
  'deployment.yaml': deploymentYaml({
    container: `envFrom:
  - configMapRef: {name: settings}
  - configMapRef: {name: absent}
  - secretRef: {name: creds}
volumeMounts:
  - {name: settings, mountPath: /etc/settings}
  - {name: plain, mountPath: /etc/plain}
`,
    pod: `volumes:
  - name: settings
    configMap: {name: settings}
  - name: plain
    configMap: {name: plain}
`,
  }),
};

/** A folder holding `files`, written before the tests of the describe (or file) that calls it and removed after them. */
function folder(prefix: string, files: Record<string, string>): string {
  const { dir } = suiteTempDir(prefix);
  beforeAll(() => {
    writeTree(dir, files);
  });
  return dir;
}

const dir = folder('strata-generator-names-', TREE);
let built: ReturnType<typeof kustomizeBuild>;
beforeAll(() => {
  built = kustomizeBuild(dir);
});

describe('a folder walk over a kustomization with generators', () => {
  it('is built by the real kustomize into the generated objects, to which it rewrites the references; the missing one stays missing', () => {
    expect(built.status, built.stderr).toBe(0);
    const settings = /name: (shop-settings-[a-z0-9]{10})\n/.exec(built.stdout)?.[1];
    const creds = /name: (shop-creds-[a-z0-9]{10})\n/.exec(built.stdout)?.[1];
    expect(settings).toBeDefined();
    expect(creds).toBeDefined();
    expect(built.stdout).toContain('name: shop-plain\n');
    // envFrom and the volume both name the generated ConfigMap; the reference no generator makes is left as written.
    expect(built.stdout.split(`name: ${settings}\n`).length - 1).toBe(3); // the object, envFrom, the volume
    expect(built.stdout).toContain(`name: ${creds}\n`);
    expect(built.stdout).toContain('name: absent\n');
    expect(built.stdout).not.toMatch(/kind: ConfigMap\n\s*metadata:\n\s*name: (shop-)?absent/);
  });

  it('counts the generated names as present: only the reference that nothing provides is reported', async () => {
    const r = await validate(repo, ['.'], { cwd: dir, serverChecks: false });
    const refs = r.problems.filter((p) => p.rule === 'resolve-references');
    expect(refs.map((p) => [p.file, p.path, p.severity, p.message])).toStrictEqual([
      [
        'deployment.yaml',
        'spec.template.spec.containers[0].envFrom[1].configMapRef.name',
        'error',
        'ConfigMap "absent" used by container "web" is not in the set: add it (or its configMapGenerator) or fix the name.',
      ],
    ]);
  });

  it('makes no name present for a file named on its own, without its kustomization', async () => {
    const r = await validate(repo, ['deployment.yaml'], { cwd: dir, serverChecks: false });
    const refs = r.problems.filter((p) => p.rule === 'resolve-references');
    expect(refs.map((p) => p.message.split(' used by')[0]).sort()).toStrictEqual([
      'ConfigMap "absent"',
      'ConfigMap "plain"',
      'ConfigMap "settings"',
      'Secret "creds"',
    ]);
  });
});

/** A generator whose keys its literals, files and env file show, and references to its keys: one names none of them. */
const KEYED: Record<string, string> = {
  'kustomization.yaml': `namespace: shop
resources:
  - deployment.yaml
configMapGenerator:
  - name: settings
    literals: [LOG_LEVEL=debug]
    files: [app.json]
secretGenerator:
  - name: creds
    envs: [creds.env]
`,
  'app.json': '{}\n',
  'creds.env': '# the token the API takes\nTOKEN=t0k3n\n',
  'deployment.yaml': deploymentYaml({
    container: `env:
  - name: LOG_LEVEL
    valueFrom: {configMapKeyRef: {name: settings, key: LOG_LEVEL}}
  - name: APP
    valueFrom: {configMapKeyRef: {name: settings, key: app.json}}
  - name: TOKEN
    valueFrom: {secretKeyRef: {name: creds, key: TOKEN}}
  - name: PASSWORD
    valueFrom: {secretKeyRef: {name: creds, key: PASSWORD}}
  - name: EXTRA
    valueFrom: {secretKeyRef: {name: creds, key: EXTRA, optional: true}}
`,
  }),
};

describe('a folder walk over a kustomization whose generators show their keys', () => {
  const keyed = folder('strata-generator-keys-', KEYED);

  it('is built by the real kustomize into objects with exactly those keys', () => {
    const r = kustomizeBuild(keyed);
    expect(r.status, r.stderr).toBe(0);
    const data = (kind: string) =>
      Object.keys(
        (
          parseAllDocuments(r.stdout)
            .map((d) => d.toJS() as { kind: string; data: Record<string, string> })
            .find((o) => o.kind === kind) ?? { data: {} }
        ).data,
      ).sort();
    expect(data('ConfigMap')).toStrictEqual(['LOG_LEVEL', 'app.json']);
    expect(data('Secret')).toStrictEqual(['TOKEN']);
  });

  it('reports the key none of them makes, at the reference, and nothing else', async () => {
    const r = await validate(repo, ['.'], { cwd: keyed, serverChecks: false });
    const refs = r.problems.filter((p) => p.rule === 'resolve-references');
    // Judged as built: the Secret under the name kustomize gives it, the reference at its line of the file.
    expect(refs.map((p) => [p.file, p.line, p.path, p.severity])).toStrictEqual([
      ['deployment.yaml', 23, 'spec.template.spec.containers[0].env[3].valueFrom.secretKeyRef.key', 'error'],
    ]);
    expect(refs[0]!.message).toMatch(
      /^Secret "creds-[a-z0-9]{10}" has no key "PASSWORD" that container "web" reads: add the key or fix the reference\.$/,
    );
  });
});

/**
 * Files beside a kustomization that it does not list: kubectl applies them as written (`kubectl apply
 * -f`), each object into its own namespace or, written without one, the default namespace. The
 * kustomization's namespace, name prefix and hash are kustomize's, for what it builds.
 */
const BESIDE: Record<string, string> = {
  'kustomization.yaml': `namespace: shop
resources:
  - web.yaml
${CONFIG_MAP_GENERATORS}`,
  'web.yaml': deploymentReading('web', undefined, ['settings', 'plain']),
  'worker.yaml': deploymentReading('worker', undefined, ['plain']),
  'shop-worker.yaml': deploymentReading('shop-worker', 'shop', ['plain', 'settings']),
};

function deploymentReading(name: string, namespace: string | undefined, configMaps: readonly string[]): string {
  return deploymentYaml({
    name,
    ...(namespace ? { namespace } : {}),
    containerName: 'app',
    container: `envFrom:\n${configMaps.map((c) => `  - configMapRef: {name: ${c}}\n`).join('')}`,
  });
}

describe('a folder walk over a kustomization with generators and files beside it that it does not list', () => {
  const beside = folder('strata-generator-beside-', BESIDE);

  it('is built by the real kustomize into the listed file with its references rewritten, the generated objects in its namespace, and nothing of the others', () => {
    const r = kustomizeBuild(beside);
    expect(r.status, r.stderr).toBe(0);
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
    expect(objects.map((o) => [o.kind, o.metadata.namespace, o.metadata.name.replace(/-[a-z0-9]{10}$/, '-<hash>')])).toStrictEqual([
      ['ConfigMap', 'shop', 'plain'],
      ['ConfigMap', 'shop', 'settings-<hash>'],
      ['Deployment', 'shop', 'web'],
    ]);
  });

  it("judges them as kubectl applies them: in their own namespace or the default one, never the kustomization's, with their references as written", async () => {
    const r = await validate(repo, ['.'], { cwd: beside, serverChecks: false });
    const refs = r.problems.filter((p) => p.rule === 'resolve-references');
    const apart = (built: string, into: string) =>
      `kustomization.yaml makes "${built.replace('-<hash>', '')}" with its configMapGenerator only for what it builds (as "${built}" in namespace "shop"), ` +
      `and this file, which it does not list, is applied as written, into namespace "${into}": list the file in its resources.`;
    // The listed Deployment, built, finds both; the one in shop finds the ConfigMap without a hash.
    expect(refs.map((p) => [p.file, p.namespace, p.path, p.message.replace(/^.* is not in the set: /, '')])).toStrictEqual([
      ['shop-worker.yaml', 'shop', 'spec.template.spec.containers[0].envFrom[1].configMapRef.name', apart('settings-<hash>', 'shop')],
      ['worker.yaml', undefined, 'spec.template.spec.containers[0].envFrom[0].configMapRef.name', apart('plain', 'default')],
    ]);
  });
});
