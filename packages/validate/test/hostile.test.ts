import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRoot, UsageError } from '@strata/project';
import { formatProblem, parseInputs, validate } from '../src/index.ts';

// Input written to mislead or to exhaust: each case is a problem with a file and a line (or, for a
// size cap, a usage error), never a crash, and the other inputs are still judged.
const repo = findRoot(import.meta.dirname);
const dir = mkdtempSync(join(tmpdir(), 'strata-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string | Buffer) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const GOOD = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good, namespace: shop}\n';
const POD = (name: string, spec: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: shop}\nspec:\n${spec}`;
const rulesOf = (r: { problems: { rule: string }[] }) => [...new Set(r.problems.map((p) => p.rule))].sort();

describe('hostile input', () => {
  it('a cross-document alias is a problem at its document, and the document before it is judged', async () => {
    const r = await parseInputs(dir, [
      write('alias.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: *m\n'),
    ]);
    expect(r.docs.map((d) => d.manifest.metadata.name)).toStrictEqual(['a']);
    expect(r.problems.map((p) => [p.line, p.rule, p.message])).toStrictEqual([
      [5, 'yaml-syntax', 'not valid YAML: alias *m names no anchor of this document (anchors do not reach across ---); kubectl refuses it'],
    ]);
  });

  it('an alias bomb is a problem, not a crash', async () => {
    const levels = Array.from(
      { length: 9 },
      (_, i) =>
        `l${i}: &l${i} [${Array(9)
          .fill(i === 0 ? 'x' : `*l${i - 1}`)
          .join(', ')}]`,
    ).join('\n');
    const r = await parseInputs(dir, [write('bomb.yaml', `${GOOD}---\napiVersion: v1\nkind: ConfigMap\n${levels}\n`)]);
    expect(r.docs.map((d) => d.manifest.metadata.name)).toStrictEqual(['good']);
    expect(r.problems.map((p) => [p.line, p.rule])).toStrictEqual([[5, 'yaml-syntax']]);
    expect(r.problems[0]!.message).toContain('alias bomb');
  });

  it('a document nested deeper than kubectl reads is a problem at its line, and the document before it is judged', async () => {
    const depth = 20_000;
    const r = await parseInputs(dir, [
      write('deep.yaml', `${GOOD}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: ${'['.repeat(depth)}${']'.repeat(depth)}\n`),
    ]);
    expect(r.docs.map((d) => d.manifest.metadata.name)).toStrictEqual(['good']);
    expect(r.problems.map((p) => [p.line, p.rule, p.message])).toStrictEqual([
      [8, 'yaml-syntax', 'not valid YAML: nested more than 10000 levels deep; kubectl refuses it'],
    ]);
  });

  it('an object nested deeper than the checks walk is a problem at its field, and every other object is judged by every check', async () => {
    const lists = (name: string, depth: number) =>
      `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: shop}\nx: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
    const maps = `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: maps, namespace: shop}\nx: ${'{a: '.repeat(9_998)}1${'}'.repeat(9_998)}\n`;
    // 999 lists in a field of the object are 1000 levels: still walked, and the schema refuses the field.
    const r = await validate(repo, [write('nested.yaml', `${GOOD}${lists('edge', 999)}${lists('lists', 1_000)}${maps}`)]);
    expect(r.resources).toBe(4);
    expect(r.problems.map((p) => [p.line, p.name, p.rule, p.path, p.message])).toStrictEqual([
      [8, 'edge', 'schema', 'x', 'unknown field (not in the schema); check its spelling and indentation'],
      [
        13,
        'lists',
        'too-deep',
        'x[0][0]',
        'nested 1001 levels deep; strata checks objects up to 1000 levels (the API server reads up to 10000): flatten this field',
      ],
      [
        18,
        'maps',
        'too-deep',
        'x.a.a',
        'nested 9999 levels deep; strata checks objects up to 1000 levels (the API server reads up to 10000): flatten this field',
      ],
    ]);
  });

  it('a document one level past what encoding/json reads is a problem kubectl would give too', async () => {
    const r = await parseInputs(dir, [
      write('json-deep.yaml', `${GOOD}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`),
    ]);
    expect(r.docs.map((d) => d.manifest.metadata.name)).toStrictEqual(['good']);
    expect(r.problems.map((p) => [p.line, p.rule, p.message])).toStrictEqual([
      [5, 'yaml-syntax', 'not valid YAML: nested more than 10000 levels deep; kubectl refuses it'],
    ]);
  });

  it('150,000 documents are read, counted and judged', async () => {
    const text = Array.from({ length: 150_000 }, (_, i) => `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}, namespace: shop}\n`).join(
      '',
    );
    const r = await validate(repo, [write('many.yaml', text)], { policy: false });
    expect(r.resources).toBe(150_000);
    expect(r.problems).toStrictEqual([]);
  }, 600_000);

  it('a Pod hidden behind U+2028 is the Pod kubectl reads, and the line break is a problem', async () => {
    const r = await validate(
      repo,
      [write('u2028.yaml', `${GOOD}# note\u2028kind: Pod\u2028spec: {hostNetwork: true, containers: [{name: x, image: "registry.example/x:1"}]}\n`)],
      { policy: false },
    );
    expect(r.problems.map((p) => [p.rule, p.kind])).toContainEqual(['yaml-line-break', 'Pod']);
    const parsed = await parseInputs(dir, [join(dir, 'u2028.yaml')]);
    expect(parsed.docs.map((d) => [d.manifest.kind, (d.manifest as { spec?: { hostNetwork?: boolean } }).spec?.hostNetwork])).toStrictEqual([
      ['Pod', true],
    ]);
  });

  it('YAML 1.1 booleans in boolean fields and merge keys reach policy as kubectl reads them', async () => {
    const text = [
      POD('p-yes', '  containers: [{name: a, image: "registry.example/a:1", securityContext: {privileged: yes}}]\n'),
      POD('p-on', '  hostNetwork: on\n  containers: [{name: a, image: "registry.example/a:1"}]\n'),
      POD('p-y', '  hostPID: y\n  containers: [{name: a, image: "registry.example/a:1"}]\n'),
      POD('p-merge', '  containers:\n    - name: a\n      image: "registry.example/a:1"\n      securityContext:\n        <<: {privileged: true}\n'),
    ].join('---\n');
    const r = await validate(repo, [write('yaml11.yaml', text)]);
    // kustomize reads yes, on and y as text: each is also a problem of its own.
    expect(r.problems.filter((p) => p.rule === 'yaml-version').map((p) => p.name)).toStrictEqual(['p-yes', 'p-on', 'p-y']);
    const found = r.problems.filter((p) => p.rule === 'no-privileged' || p.rule === 'no-host-namespaces').map((p) => [p.name, p.rule, p.line]);
    expect(found).toStrictEqual([
      ['p-yes', 'no-privileged', 5],
      ['p-on', 'no-host-namespaces', 11],
      ['p-y', 'no-host-namespaces', 18],
      ['p-merge', 'no-privileged', 29],
    ]);
  });

  it('Lists are resources: each item is counted, judged by every rule and reported at its own line', async () => {
    const text =
      'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata: {name: creds, namespace: shop}\n    stringData: {password: hunter2}\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: plain, namespace: shop}\n---\napiVersion: apps/v1\nkind: DeploymentList\nitems:\n  - apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: listed, namespace: shop}\n    spec:\n      selector: {matchLabels: {app: listed}}\n      template:\n        metadata: {labels: {app: listed}}\n        spec:\n          containers: [{name: app, image: "registry.example/app:1.0", securityContext: {privileged: true}}]\n';
    const r = await validate(repo, [write('lists.yaml', text)]);
    expect(r.resources).toBe(3);
    expect(r.problems.filter((p) => p.rule === 'no-secret-values').map((p) => [p.name, p.line, p.path])).toStrictEqual([['creds', 7, 'stringData']]);
    expect(r.problems.filter((p) => p.rule === 'no-privileged').map((p) => [p.name, p.line])).toStrictEqual([['listed', 23]]);
    expect(rulesOf(r)).not.toContain('schema');
  });

  it('in a folder, a symlinked file is read and a symlinked folder is not entered, as kubectl apply -R -f walks it: no link loops', async () => {
    const root = join(dir, 'links');
    mkdirSync(join(root, 'real', 'inner'), { recursive: true });
    writeFileSync(join(root, 'real', 'a.yaml'), GOOD);
    writeFileSync(join(root, 'real', 'inner', 'b.yaml'), GOOD.replace('good', 'b'));
    mkdirSync(join(root, 'input', 'sub'), { recursive: true });
    writeFileSync(join(root, 'input', 'sub', 'c.yaml'), GOOD.replace('good', 'c'));
    symlinkSync(join(root, 'real', 'a.yaml'), join(root, 'input', 'a.yaml'));
    symlinkSync(join(root, 'real', 'inner'), join(root, 'input', 'inner'));
    symlinkSync(join(root, 'input'), join(root, 'input', 'again'));
    // Not a manifest by its name, so kubectl would not open it either.
    symlinkSync(join(root, 'nowhere'), join(root, 'input', 'dangling'));
    const r = await parseInputs(root, ['input']);
    expect(r.docs.map((d) => [d.file, d.manifest.metadata.name])).toStrictEqual([
      ['input/a.yaml', 'good'],
      ['input/sub/c.yaml', 'c'],
    ]);
    // A folder named is read, link or not.
    expect((await parseInputs(root, ['input/inner'])).docs.map((d) => d.manifest.metadata.name)).toStrictEqual(['b']);
    symlinkSync(join(root, 'nowhere.yaml'), join(root, 'input', 'broken.yaml'));
    await expect(parseInputs(root, ['input'])).rejects.toThrow(/input\/broken\.yaml: broken symlink/);
  });

  it('a folder walk skips node_modules, where pnpm links every package into every other', async () => {
    const root = join(dir, 'modules');
    mkdirSync(join(root, 'app', 'node_modules', 'pkg'), { recursive: true });
    mkdirSync(join(root, 'app', 'deploy', 'node_modules'), { recursive: true });
    writeFileSync(join(root, 'app', 'deploy', 'cm.yaml'), GOOD);
    writeFileSync(join(root, 'app', 'node_modules', 'pkg', 'package.json'), '{"name": "pkg"}');
    writeFileSync(join(root, 'app', 'deploy', 'node_modules', 'broken.yaml'), ': not yaml [');
    symlinkSync(join(root, 'gone'), join(root, 'app', 'node_modules', 'pkg', 'dangling.yaml'));
    const r = await parseInputs(root, ['app']);
    expect(r.docs.map((d) => d.file)).toStrictEqual(['app/deploy/cm.yaml']);
    expect(r.problems).toStrictEqual([]);
  });

  it('says in one note which hidden folders and node_modules a walk skipped, as kubectl apply -R -f would apply what they hold', async () => {
    const root = join(dir, 'skips');
    for (const f of [
      'w/clean.yaml',
      'w/.hid/a.yaml',
      'w/node_modules/b.yaml',
      'w/sub/.cfg/c.yaml',
      'w/sub/.cfg/deeper/d.yaml',
      'w/.git/config.yaml',
    ]) {
      mkdirSync(dirname(join(root, f)), { recursive: true });
      writeFileSync(join(root, f), GOOD.replace('good', f.replace(/[^a-z]/g, '')));
    }
    mkdirSync(join(root, 'w', 'node_modules', 'empty'), { recursive: true });
    const r = await validate(repo, ['w'], { policy: false, serverChecks: false, cwd: root });
    expect(r.files).toStrictEqual(['w/clean.yaml']);
    expect(r.notes).toStrictEqual([
      '3 folders skipped, which kubectl apply -R -f would walk (hidden folders and node_modules): w/.hid, w/node_modules, w/sub/.cfg; name a folder to validate what it holds',
    ]);
    // Named, a hidden folder is read, and nothing is said.
    const named = await validate(repo, ['w/.hid'], { policy: false, serverChecks: false, cwd: root });
    expect([named.files, named.notes]).toStrictEqual([['w/.hid/a.yaml'], []]);
  });

  it("a folder walk skips hidden folders and, in a Strata workspace, the tooling's own folders and files; named, they are read", async () => {
    const root = join(dir, 'workspace');
    const files: Record<string, string> = {
      'pnpm-workspace.yaml': 'packages: [apps/*, packages/*]\n',
      'package.json': '{"name": "ws", "private": true}',
      'tsconfig.base.json': '{"compilerOptions": {}}',
      'strata.config.json': '{}',
      'packages/schemas/kubernetes/configmap-v1.json': '{"type": "object", "properties": {}}',
      'packages/validate/__fixtures__/bad.yaml': ': not yaml [',
      'apps/web/test/fixture.yaml': 'kind: NotAnObject\n',
      'scripts/ci.yaml': 'steps: []\n',
      'docs/example.yaml': 'example: true\n',
      'crds/schemas/example.com/thing_v1.json': '{"type": "object"}',
      '.github/workflows/ci.yml': 'on: push\njobs: {}\n',
      '.strata/cache/x.json': '{}',
      // What holds manifests is walked: the trees, the built output, the CRDs, and a folder named packages below the root.
      'base/web/configmap.web.yaml': GOOD,
      'dist/dev/web.yaml': GOOD,
      'crds/example.com_things.yaml': GOOD,
      'base/packages/cm.yaml': GOOD,
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    }
    const r = await parseInputs(root, ['.']);
    expect([...r.files.keys()]).toStrictEqual([
      'base/packages/cm.yaml',
      'base/web/configmap.web.yaml',
      'crds/example.com_things.yaml',
      'dist/dev/web.yaml',
    ]);
    expect(r.problems).toStrictEqual([]);
    // The workspace's own hidden folders are not worth a note; another one is.
    const skipped: string[] = [];
    await parseInputs(root, ['.'], { skipped });
    expect(skipped).toStrictEqual([]);
    mkdirSync(join(root, '.hid'));
    await parseInputs(root, ['.'], { skipped });
    expect(skipped).toStrictEqual(['.hid']);
    // Named on its own, a folder of the tooling is read as asked.
    expect([...(await parseInputs(root, ['packages/validate'])).files.keys()]).toStrictEqual(['packages/validate/__fixtures__/bad.yaml']);
    // Outside a workspace only hidden folders and node_modules are left out.
    rmSync(join(root, 'pnpm-workspace.yaml'));
    expect([...(await parseInputs(root, ['.'])).files.keys()]).toContain('packages/schemas/kubernetes/configmap-v1.json');
  });

  it('an empty path is a usage error, not the current folder', async () => {
    await expect(parseInputs(dir, [''])).rejects.toThrow(
      new UsageError('an empty path names no file or folder; give a path (. for the current folder), or - for standard input'),
    );
  });

  it('an input larger than the cap is a usage error that names it and the cap', async () => {
    const file = write('big.yaml', GOOD.repeat(100));
    await expect(parseInputs(dir, [file], { maxFileBytes: 1000 })).rejects.toThrow(UsageError);
    await expect(parseInputs(dir, [file], { maxFileBytes: 1000 })).rejects.toThrow(/big\.yaml: .* is more than the .* an input may hold/);
    await expect(parseInputs(dir, [file, file.replace('big', 'alias')], { maxTotalBytes: 5000 })).rejects.toThrow(
      /more than the .* one run may read/,
    );
  });

  it('a name with control characters is read as it is (the text report escapes it)', async () => {
    const r = await parseInputs(dir, [write('control.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "a\\e[31mb", namespace: shop}\n')]);
    expect(r.docs[0]?.manifest.metadata.name).toBe('a\u001b[31mb');
  });
});

describe('several unknown fields in one object', () => {
  // kubeconform names them in one message, in Go's map order: a run named 'zebra', 'apple' and the
  // next 'apple', 'zebra'.
  const deployment = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: web, namespace: shop}',
    'spec:',
    '  replicas: 1',
    '  zebra: 1',
    '  selector: {matchLabels: {app: web}}',
    '  apple: 2',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec:',
    '      containers:',
    '        - name: web',
    '          image: registry.example/web:1',
    '          kiwi: true',
    '          banana: false',
    '          cherry: 3',
    '',
  ].join('\n');

  it('are each named at their own line and path, in the order of the file, the same in every run', async () => {
    const file = write('unknown-fields.yaml', deployment);
    const runs: string[][] = [];
    for (let i = 0; i < 6; i++) {
      const r = await validate(repo, [file], { policy: false, serverChecks: false });
      runs.push(r.problems.map((p) => `${p.line}: ${p.path}: ${p.message} [${p.rule}]`));
    }
    const unknown = 'unknown field (not in the schema); check its spelling and indentation [schema]';
    expect(runs[0]).toStrictEqual([
      `6: spec.zebra: ${unknown}`,
      `8: spec.apple: ${unknown}`,
      `15: spec.template.spec.containers[0].kiwi: ${unknown}`,
      `16: spec.template.spec.containers[0].banana: ${unknown}`,
      `17: spec.template.spec.containers[0].cherry: ${unknown}`,
    ]);
    for (const run of runs.slice(1)) expect(run).toStrictEqual(runs[0]);
  });
});

describe('objects named by metadata.generateName', () => {
  // Two Argo CD hooks with the same generateName, the first valid: kubeconform names both
  // "migrate-{{ generateName }}", and the problems of the second must not land on the first.
  const job = (spec: string[]) =>
    [
      'apiVersion: batch/v1',
      'kind: Job',
      'metadata:',
      '  generateName: migrate-',
      '  namespace: shop',
      '  annotations: {argocd.argoproj.io/hook: PreSync}',
      'spec:',
      ...spec,
    ].join('\n');
  const text = [
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first, namespace: shop}\n',
    `${job(['  template:', '    spec:', '      restartPolicy: Never', '      containers: [{name: m, image: "registry.example/m:1"}]'])}\n`,
    `${job(['  backoffLimit: three', '  template:', '    spec:', '      restartPolicy: Never', '      containers:', '        - name: m', '          image: registry.example/m:1', '          bogus: 1'])}\n`,
  ].join('---\n');

  it('have their problems at their file, line and object, named <generateName>*', async () => {
    const file = write('generate-name.yaml', text);
    const r = await validate(repo, [file], { policy: false });
    expect(r.problems.map((p) => [p.line, p.resource, p.namespace, p.name, p.path, p.rule])).toStrictEqual([
      [24, `${file}#2`, 'shop', 'migrate-*', 'spec.backoffLimit', 'schema'],
      [31, `${file}#2`, 'shop', 'migrate-*', 'spec.template.spec.containers[0].bogus', 'schema'],
    ]);
    expect(formatProblem(r.problems[0]!)).toBe(
      `${file}:24: batch/v1/Job shop/migrate-*: spec.backoffLimit: got string, want null or integer [schema]`,
    );
    expect(r.resources).toBe(3);
  });

  it('are refused unless Argo CD names them, as a hook, in the words verify uses', async () => {
    const named = (annotations: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: settings-\n  namespace: shop\n${annotations}data: {a: b}\n`;
    const docs = [
      named(''),
      named('  annotations: {argocd.argoproj.io/hook: Skip}\n'),
      named('  annotations: {argocd.argoproj.io/hook: PostSync}\n'),
      named('  annotations: {helm.sh/hook: pre-install}\n'),
      named('  annotations: {helm.sh/hook: crd-install}\n'),
    ];
    const file = write('generate-name-only.yaml', docs.join('---\n'));
    const r = await validate(repo, [file], { policy: false });
    const refused = r.problems.filter((p) => p.rule === 'missing-name');
    // The plain one, the one Argo CD skips (kubectl apply -k still sends it) and Helm's crd-install, which is no hook.
    expect(refused.map((p) => p.resource)).toStrictEqual([`${file}#0`, `${file}#1`, `${file}#4`]);
    expect(refused[0]!.message).toBe(
      'missing metadata.name; kubectl apply refuses generateName alone, and Argo CD takes it only on a hook (argocd.argoproj.io/hook or helm.sh/hook), which it names itself',
    );
    // At the line of its metadata key, where a name would go (and where verify places the server's metadata.name).
    expect(refused[0]!.line).toBe(3);
  });

  it('are all refused where Flux applies the tree too, the hooks saying that Flux reads no hook', async () => {
    const named = (annotations: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: settings-\n  namespace: shop\n${annotations}data: {a: b}\n`;
    const file = write(
      'generate-name-flux.yaml',
      [named(''), named('  annotations: {argocd.argoproj.io/hook: PostSync}\n'), named('  annotations: {helm.sh/hook: pre-install}\n')].join('---\n'),
    );
    const refusedWith = async (consumer: string) => {
      const root = mkdtempSync(join(dir, 'consumer-'));
      symlinkSync(join(repo, '.tools'), join(root, '.tools'));
      const gitops = { consumer, repoURL: 'https://git.example.test/team/fixture.git', targetRevision: 'main' };
      writeFileSync(join(root, 'strata.config.json'), JSON.stringify({ gitops }));
      const r = await validate(root, [file], { policy: false });
      return r.problems.filter((p) => p.rule === 'missing-name').map((p) => [p.resource, p.message]);
    };
    const plain =
      'missing metadata.name; kubectl apply refuses generateName alone, and Argo CD takes it only on a hook (argocd.argoproj.io/hook or helm.sh/hook), which it names itself';
    const flux = (consumer: string) =>
      `missing metadata.name; Flux applies this tree (gitops.consumer "${consumer}" in strata.config.json) and reads no Argo CD or Helm hook: it applies every object by its name, and refuses generateName alone as kubectl apply does`;
    expect(await refusedWith('argocd')).toStrictEqual([[`${file}#0`, plain]]);
    for (const consumer of ['flux', 'both']) {
      expect(await refusedWith(consumer)).toStrictEqual([
        [`${file}#0`, plain],
        [`${file}#1`, flux(consumer)],
        [`${file}#2`, flux(consumer)],
      ]);
    }
  });

  it('are named <generateName>* by the policy rules too', async () => {
    const file = write('generate-name-policy.yaml', text);
    const r = await validate(repo, [file], { serverChecks: false });
    const policy = r.problems.filter((p) => p.kind === 'Job' && p.rule !== 'schema');
    expect(policy.length).toBeGreaterThan(0);
    for (const p of policy) expect([p.namespace, p.name]).toStrictEqual(['shop', 'migrate-*']);
  });

  it('beside a pod whose reference resolves to nothing leave every finding reported', async () => {
    // The reference rule looks among the ConfigMaps for one that differs only by a hash suffix.
    const file = write(
      'generate-name-reference.yaml',
      [
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: settings-, namespace: shop}\ndata: {a: b}\n',
        POD('web', '  containers:\n    - name: web\n      image: registry.example/web:1\n      envFrom: [{configMapRef: {name: absent}}]\n'),
      ].join('---\n'),
    );
    const r = await validate(repo, [file], { serverChecks: false });
    const problem = (rule: string) => r.problems.filter((p) => p.rule === rule).map((p) => [p.name, p.message]);
    expect(problem('missing-name')).toStrictEqual([
      ['settings-*', expect.stringMatching(/^missing metadata.name; kubectl apply refuses generateName alone/)],
    ]);
    expect(problem('resolve-references')).toStrictEqual([
      ['web', 'ConfigMap "absent" used by container "web" is not in the set: add it (or its configMapGenerator) or fix the name.'],
    ]);
  });
});

describe('counts', () => {
  it('two problems in one object count one resource: "2 problems in 1 of 1"', async () => {
    const r = await validate(repo, [write('two.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  name: web2\nspec:\n  portz: []\n')], {
      policy: false,
      serverChecks: false,
    });
    expect(r.problems.map((p) => p.rule).sort()).toStrictEqual(['duplicate-key', 'schema']);
    expect(new Set(r.problems.map((p) => p.resource)).size).toBe(1);
    expect(r.resources).toBe(1);
  });

  it('many problems per object never count more objects than there are', async () => {
    const text = Array.from({ length: 50 }, (_, i) =>
      POD(`p${i}`, '  hostNetwork: true\n  hostPID: true\n  containers: [{name: a, image: "x", securityContext: {privileged: true}}]\n'),
    ).join('---\n');
    const r = await validate(repo, [write('pods.yaml', text)]);
    expect(r.resources).toBe(50);
    expect(r.problems.length).toBeGreaterThan(100);
    expect(new Set(r.problems.map((p) => p.resource)).size).toBe(50);
  });

  it('an unreadable document counts as one resource: "1 of 1", never "1 of 0"', async () => {
    const r = await validate(repo, [write('broken-only.yaml', 'a: [1, 2\n')], { policy: false });
    expect(r.resources).toBe(1);
    expect(r.problems.map((p) => [p.rule, p.resource !== undefined])).toStrictEqual([['yaml-syntax', true]]);
  });

  it('empty input is a problem naming the inputs, unless allowed', async () => {
    const empty = join(dir, 'empty-folder');
    mkdirSync(empty);
    writeFileSync(join(empty, 'README.md'), '# nothing to apply\n');
    const r = await validate(repo, [empty]);
    expect(r.problems.map((p) => [p.rule, p.message.split(';')[0]])).toStrictEqual([
      ['no-objects', `no Kubernetes objects in ${empty} (no .yaml, .yml or .json file)`],
    ]);
    expect((await validate(repo, [empty], { allowEmpty: true })).problems).toStrictEqual([]);
    const blank = await validate(repo, ['-'], { stdin: () => '' });
    expect(blank.problems.map((p) => p.message.split(';')[0])).toStrictEqual(['no Kubernetes objects in <stdin>']);
  });
});
