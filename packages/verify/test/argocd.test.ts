import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Manifest } from '@strata/core';
import {
  argoCdReplaces,
  argoCdSkips,
  argoCdSyncPhases,
  ensureServers,
  readBuilt,
  startServer,
  verify,
  verifyDocuments,
  type Server,
  type VerifyResult,
} from '../src/index.ts';
import { BUILD_TIMEOUT, deployment, hookConfigMap, hookJob, lineOf, makeRepo, namePrefix, withConsumer } from './helpers.ts';

const HOOK = 'argocd.argoproj.io/hook';

/** An object with these annotations (none: as it is). */
function annotated<T extends object>(o: T, annotations?: Record<string, string>): T {
  if (!annotations) return o;
  const m = o as { metadata: Record<string, unknown> };
  return { ...o, metadata: { ...m.metadata, annotations } };
}

/** A Deployment the server refuses (a container field its schema does not have). */
const broken = (namespace: string, annotations?: Record<string, string>) =>
  annotated(deployment('web', namespace, { container: { imagePullPolicyy: 'Always' } }), annotations);

/** A NodePort Service asking for `nodePort`. */
const nodePortService = (name: string, namespace: string, nodePort: number, annotations?: Record<string, string>) =>
  annotated(
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { type: 'NodePort', selector: { app: name }, ports: [{ name: 'http', port: 80, nodePort }] },
    },
    annotations,
  );

const m = (annotations: Record<string, string>): Manifest => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations } });

describe('which objects Argo CD never applies, read from their hook annotations as Argo CD reads them', () => {
  it('Skip, alone in the list once trimmed, repeated, or beside a name Argo CD does not know', () => {
    for (const value of ['Skip', ' Skip ', 'Skip,Skip', 'Skip, Bogus']) expect(argoCdSkips(m({ [HOOK]: value })), value).toBe('skip');
  });

  it('but not Skip beside a phase: the object is a hook of that phase, applied in it', () => {
    for (const value of ['PreSync,Skip', 'Skip, PostSync', 'SyncFail,Skip']) expect(argoCdSkips(m({ [HOOK]: value })), value).toBeUndefined();
  });

  it('a hook that names no phase Argo CD knows, spelled as it spells them, is never applied either', () => {
    for (const value of ['skip', 'SKIP', 'Presync', '', ' , ']) expect(argoCdSkips(m({ [HOOK]: value })), value).toBe('no-sync-hook');
    // Helm's hooks count when Argo CD's annotation names nothing; Helm's tests have no Argo CD phase.
    expect(argoCdSkips(m({ 'helm.sh/hook': 'test' }))).toBe('no-sync-hook');
    expect(argoCdSkips(m({ 'helm.sh/hook': 'pre-rollback' }))).toBe('no-sync-hook');
    expect(argoCdSkips(m({ [HOOK]: 'skip', 'helm.sh/hook': 'pre-install' }))).toBeUndefined();
    expect(argoCdSkips(m({ [HOOK]: 'Skip', 'helm.sh/hook': 'pre-install' }))).toBe('skip');
  });

  it('the sync phases a hook runs in, each once: its own names, else those of Helm as Argo CD maps them; none for a delete hook or no hook', () => {
    expect(argoCdSyncPhases(m({ [HOOK]: 'PreSync, PostSync,PreSync,Skip' }))).toStrictEqual(['PreSync', 'PostSync']);
    expect(argoCdSyncPhases(m({ 'helm.sh/hook': 'pre-install,pre-upgrade,post-install' }))).toStrictEqual(['PreSync', 'PostSync']);
    expect(argoCdSyncPhases(m({ [HOOK]: 'SyncFail', 'helm.sh/hook': 'pre-install' }))).toStrictEqual(['SyncFail']);
    const none: Record<string, string>[] = [{ [HOOK]: 'PostDelete' }, { 'helm.sh/hook': 'pre-delete' }, { [HOOK]: 'Skip' }, {}];
    for (const annotations of none) expect(argoCdSyncPhases(m(annotations)), JSON.stringify(annotations)).toStrictEqual([]);
  });

  it('objects it applies: no hook, a hook of a phase, Helm CRDs, and delete hooks (applied when the Application is deleted)', () => {
    expect(argoCdSkips(m({}))).toBeUndefined();
    expect(argoCdSkips(m({ 'argocd.argoproj.io/sync-options': 'Skip' }))).toBeUndefined();
    for (const value of ['PreSync', 'Sync', 'PostSync', 'SyncFail', 'PreDelete', 'PostDelete', 'PostDelete,Bogus'])
      expect(argoCdSkips(m({ [HOOK]: value })), value).toBeUndefined();
    for (const value of ['pre-install', 'post-upgrade', 'crd-install', 'pre-delete', 'test,post-delete'])
      expect(argoCdSkips(m({ 'helm.sh/hook': value })), value).toBeUndefined();
  });
});

// One server for the file; one verify run over a repository whose every case is its own overlay.
let server: Server;
let repo: string;
let result: VerifyResult;
const errorsOf = (env: string, app: string) => result.problems.filter((p) => p.file === `dist/${env}/${app}.yaml` && p.severity === 'error');

beforeAll(async () => {
  server = await startServer(await ensureServers());
  repo = makeRepo({
    'dev/broken': [broken('broken')],
    'dev/skipped': [broken('skipped', { [HOOK]: 'Skip' })],
    'dev/skipped-list': [broken('skipped-list', { [HOOK]: 'Skip, Bogus' })],
    'dev/presync-skip': [broken('presync-skip', { [HOOK]: 'PreSync,Skip' })],
    'dev/lower-case': [broken('lower-case', { [HOOK]: 'skip' })],
    'dev/helm-test': [broken('helm-test', { 'helm.sh/hook': 'test-success' })],
    // A Service Argo CD skips takes no node port: the one of the next app (by name) gets it. In
    // staging, where neither is skipped, the second is refused, as the env's cluster refuses it.
    'dev/ports-a': [nodePortService('a', 'ports', 30080, { [HOOK]: 'Skip' }), nodePortService('out', 'ports', 8080, { [HOOK]: 'Skip' })],
    'dev/ports-b': [nodePortService('b', 'ports', 30080)],
    'staging/ports-a': [nodePortService('a', 'ports', 30080)],
    'staging/ports-b': [nodePortService('b', 'ports', 30080)],
  });
  result = await verify(repo, { server });
}, BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

describe('verify applies nothing Argo CD never applies, and says what it left out', () => {
  it('refuses an invalid object, and lets the same object annotated Skip through unapplied', () => {
    expect(errorsOf('dev', 'broken')).toMatchObject([
      { name: 'web', path: 'spec.template.spec.containers[name="app"].imagePullPolicyy', rule: 'server-rejected' },
    ]);
    expect(errorsOf('dev', 'skipped')).toStrictEqual([]);
    expect(errorsOf('dev', 'skipped-list')).toStrictEqual([]);
  });

  it('applies an object whose list names a phase beside Skip, as Argo CD applies it in that phase', () => {
    expect(errorsOf('dev', 'presync-skip')).toMatchObject([
      { name: 'web', path: 'spec.template.spec.containers[name="app"].imagePullPolicyy', rule: 'server-rejected' },
    ]);
  });

  it('leaves out hooks of no phase Argo CD runs: a lower-case skip, a Helm test', () => {
    expect(errorsOf('dev', 'lower-case')).toStrictEqual([]);
    expect(errorsOf('dev', 'helm-test')).toStrictEqual([]);
  });

  it('gives a skipped Service no node port, and refuses none it asks for', () => {
    expect(errorsOf('dev', 'ports-a')).toStrictEqual([]);
    expect(errorsOf('dev', 'ports-b')).toStrictEqual([]);
    expect(errorsOf('staging', 'ports-a')).toStrictEqual([]);
    expect(errorsOf('staging', 'ports-b')).toMatchObject([
      {
        name: 'b',
        path: 'spec.ports[0].nodePort',
        rule: 'server-rejected',
        message: expect.stringMatching(/^Invalid value: 30080: provided port is already allocated/),
      },
    ]);
  });

  it('counts only the objects it sent, and lists each one it left out with where it is and why', () => {
    expect(result.objects).toBe(5);
    const deploymentIn = (ns: string, why: string) => ({
      file: `dist/dev/${ns}.yaml`,
      line: 1,
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: ns,
      name: 'web',
      why,
    });
    // In apply order: the env's apps by name, each file's objects in order.
    expect(result.notApplied).toStrictEqual([
      deploymentIn('helm-test', 'no-sync-hook'),
      deploymentIn('lower-case', 'no-sync-hook'),
      { file: 'dist/dev/ports-a.yaml', line: 1, apiVersion: 'v1', kind: 'Service', namespace: 'ports', name: 'a', why: 'skip' },
      {
        file: 'dist/dev/ports-a.yaml',
        line: lineOf(repo, 'dist/dev/ports-a.yaml', '---') + 1,
        apiVersion: 'v1',
        kind: 'Service',
        namespace: 'ports',
        name: 'out',
        why: 'skip',
      },
      deploymentIn('skipped', 'skip'),
      deploymentIn('skipped-list', 'skip'),
    ]);
  });
});

describe('verify --against applies nothing Argo CD skipped as what is deployed', () => {
  it(
    "leaves the ref's skipped objects out: their node ports are free and their names unheld; a built object Argo CD skips is no upgrade",
    async () => {
      const deployed = readBuilt(
        [
          nodePortService('old', 'ports', 30081, { [HOOK]: 'Skip' }),
          nodePortService('held', 'ports', 30082),
          deployment('web', 'ports', { selector: { app: 'web' } }),
        ]
          .map((o) => stringify(o))
          .join('---\n'),
        'now.yaml',
      );
      const built = [
        nodePortService('new', 'ports', 30081),
        nodePortService('other', 'ports', 30082),
        // A changed selector, refused on update, but Argo CD leaves the deployed one as it is.
        annotated(deployment('web', 'ports', { selector: { app: 'web', tier: 'front' } }), { [HOOK]: 'Skip' }),
      ];
      const r = await verifyDocuments(readBuilt(built.map((o) => stringify(o)).join('---\n'), 'next.yaml'), {
        server,
        against: { name: 'now', docs: deployed },
      });
      expect(r.problems.map((p) => [p.name, p.path, p.rule])).toStrictEqual([['other', 'spec.ports[0].nodePort', 'server-rejected']]);
      expect(r.objects).toBe(2);
      expect(r.notApplied.map((n) => [n.file, n.name, n.why])).toStrictEqual([['next.yaml', 'web', 'skip']]);
    },
    BUILD_TIMEOUT,
  );
});

describe('a hook that has only a generateName is judged under the name Argo CD gives it', () => {
  // Argo CD names a PreSync hook generateName + 7 characters of revision + "-presync-" + 10 digits of
  // Unix time: 26 characters more (PostSync: 27). A Job's name is at most 63 characters (its Pods
  // carry it in a label), a ConfigMap's 253. The server would cut a generateName to 58 characters.
  const cases = {
    presyncUnder: hookJob(namePrefix(37), { [HOOK]: 'PreSync' }),
    presyncOver: hookJob(namePrefix(38), { [HOOK]: 'PreSync' }),
    postsyncUnder: hookJob(namePrefix(36), { [HOOK]: 'PostSync' }),
    postsyncOver: hookJob(namePrefix(37), { [HOOK]: 'PostSync' }),
    // Run in both phases, under two names: PostSync's, the longer, decides.
    bothOver: hookJob(namePrefix(37), { [HOOK]: 'PreSync,PostSync' }),
    helmOver: hookJob(namePrefix(38), { 'helm.sh/hook': 'pre-install' }),
    configMapUnder: hookConfigMap(namePrefix(227), { [HOOK]: 'PreSync' }),
    configMapOver: hookConfigMap(namePrefix(228), { [HOOK]: 'PreSync' }),
    // Argo CD's controller creates a delete hook as it is, and the server names it.
    deleteHook: hookJob(namePrefix(60), { [HOOK]: 'PostDelete' }),
  };
  const text = Object.values(cases)
    .map((o) => stringify(o))
    .join('---\n');
  const lines = text.split('\n');
  /** The line of the first line of a case's document that holds `needle`. */
  const lineIn = (c: keyof typeof cases, needle: string) => {
    let doc = 0;
    const at = Object.keys(cases).indexOf(c);
    return lines.findIndex((l) => (l === '---' ? (doc++, false) : doc === at && l.includes(needle))) + 1;
  };
  const naming = (phase: string) =>
    `(Argo CD names this ${phase} hook itself: its generateName, then the synced revision's first 7 characters, "-${phase.toLowerCase()}-" ` +
    `and the sync's start in Unix seconds: ${19 + phase.length} characters more; shorten metadata.generateName or give the hook a metadata.name)`;
  const sent = (generateName: string, phase: string) => new RegExp(`"${generateName}0000000-${phase.toLowerCase()}-\\d{10}"`);
  let found: VerifyResult;

  beforeAll(async () => {
    found = await verifyDocuments(readBuilt(text, 'hooks.yaml'), { server });
  });

  it('accepts a generateName whose Argo CD name is just within the limit, and refuses one just over it, saying how Argo CD makes the name', () => {
    const refused = found.problems.filter((p) => p.severity === 'error');
    expect(refused.map((p) => [p.line, p.name, p.path])).toStrictEqual([
      [lineIn('presyncOver', 'template:'), `${namePrefix(38)}*`, 'spec.template.labels'],
      [lineIn('postsyncOver', 'template:'), `${namePrefix(37)}*`, 'spec.template.labels'],
      [lineIn('bothOver', 'template:'), `${namePrefix(37)}*`, 'spec.template.labels'],
      [lineIn('helmOver', 'template:'), `${namePrefix(38)}*`, 'spec.template.labels'],
      [lineIn('configMapOver', 'metadata:'), `${namePrefix(228)}*`, 'metadata.name'],
    ]);
    const messages = refused.map((p) => p.message);
    expect(messages[0]).toMatch(sent(namePrefix(38), 'PreSync'));
    expect(messages[0]).toMatch(/^Invalid value: "[^"]+": must be no more than 63 bytes \(/);
    expect(messages[0]!.endsWith(naming('PreSync'))).toBe(true);
    expect(messages[1]).toMatch(sent(namePrefix(37), 'PostSync'));
    expect(messages[1]!.endsWith(naming('PostSync'))).toBe(true);
    expect(messages[2]).toMatch(sent(namePrefix(37), 'PostSync'));
    expect(messages[3]).toMatch(sent(namePrefix(38), 'PreSync'));
    expect(messages[4]).toMatch(sent(namePrefix(228), 'PreSync'));
    expect(messages[4]).toMatch(/^Invalid value: "[^"]+": must be no more than 253 characters \(/);
    expect(found.objects).toBe(Object.keys(cases).length);
  });
});

describe('verify where Flux applies the tree too', () => {
  it('applies what Argo CD would skip, since Flux reads no Argo CD annotation', async () => {
    const flux = makeRepo({
      'dev/skipped': [broken('skipped', { [HOOK]: 'Skip' })],
      'dev/helm-test': [broken('helm-test', { 'helm.sh/hook': 'test-success' })],
    });
    try {
      for (const consumer of ['flux', 'both']) {
        writeFileSync(join(flux, 'strata.config.json'), `${JSON.stringify({ gitops: { consumer } })}\n`);
        const r = await verify(flux, { server });
        expect(r.notApplied, consumer).toStrictEqual([]);
        expect(r.objects, consumer).toBe(2);
        expect(
          r.problems.filter((p) => p.severity === 'error').map((p) => [p.file, p.path]),
          consumer,
        ).toStrictEqual([
          ['dist/dev/helm-test.yaml', 'spec.template.spec.containers[name="app"].imagePullPolicyy'],
          ['dist/dev/skipped.yaml', 'spec.template.spec.containers[name="app"].imagePullPolicyy'],
        ]);
      }
      // Argo CD alone, said or by default: left out as above.
      writeFileSync(join(flux, 'strata.config.json'), `${JSON.stringify({ gitops: { consumer: 'argocd' } })}\n`);
      expect((await verify(flux, { server })).notApplied).toHaveLength(2);
    } finally {
      rmSync(flux, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('an object Argo CD deletes and recreates is no upgrade', () => {
  const OPTIONS = 'argocd.argoproj.io/sync-options';

  it('reads Force=true beside Replace=true as a delete and create, Replace=true alone as an update, Force=true alone as an apply --force, and never recreates a CRD or a Namespace', () => {
    for (const value of ['Force=true,Replace=true', ' Replace=true , Force=true ', 'Prune=false,Force=true,Replace=true'])
      expect(argoCdReplaces(m({ [OPTIONS]: value })), value).toBe('recreate');
    for (const value of ['Replace=true', 'Replace=true,Force=false', 'Replace=true,force=true'])
      expect(argoCdReplaces(m({ [OPTIONS]: value })), value).toBe('replace');
    for (const value of ['Force=true', 'Replace=True,Force=true', 'Replace=false,Force=true'])
      expect(argoCdReplaces(m({ [OPTIONS]: value })), value).toBe('force');
    for (const value of ['', 'force=true', 'Force=True', 'Replace=false']) expect(argoCdReplaces(m({ [OPTIONS]: value })), value).toBeUndefined();
    // An option of the deployed object counts too, as Argo CD reads both.
    expect(argoCdReplaces(m({}), m({ [OPTIONS]: 'Force=true,Replace=true' }))).toBe('recreate');
    expect(argoCdReplaces(m({ [OPTIONS]: 'Replace=true' }), m({ [OPTIONS]: 'Force=true' }))).toBe('recreate');
    expect(argoCdReplaces(m({ [HOOK]: 'Force=true,Replace=true' }))).toBeUndefined();
    const both = { [OPTIONS]: 'Force=true,Replace=true' };
    expect(argoCdReplaces({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', annotations: both } })).toBeUndefined();
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'xs.example.com', annotations: both } };
    expect(argoCdReplaces(crd)).toBeUndefined();
  });

  /** A fixed-name Job run again by every release, its image the release's, with these sync options. */
  const job = (name: string, image: string, options?: string) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'recreate', ...(options ? { annotations: { [OPTIONS]: options } } : {}) },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image, command: ['true'] }] } } },
  });
  const docs = (objects: object[], file: string) => readBuilt(objects.map((o) => stringify(o)).join('---\n'), file);

  it(
    'passes a changed Job template under Force=true,Replace=true and under Force=true alone (client-side apply --force), with a note each, and fails it under Replace=true alone, saying what Force adds',
    async () => {
      const names = { recreate: 'Force=true,Replace=true', replace: 'Replace=true', force: 'Force=true', plain: undefined } as const;
      const release = (image: string) => Object.entries(names).map(([name, options]) => job(name, image, options));
      const r = await verifyDocuments(docs(release('busybox:1.37'), 'next.yaml'), {
        server,
        against: { name: 'now', docs: docs(release('busybox:1.36'), 'now.yaml') },
      });
      expect(r.problems.map((p) => [p.name, p.path, p.rule, p.severity])).toStrictEqual([
        ['replace', 'spec.template', 'immutable-field', 'error'],
        ['plain', 'spec.template', 'immutable-field', 'error'],
      ]);
      const replace = r.problems.find((p) => p.name === 'replace')!.message;
      expect(replace).toMatch(/Replace=true is an update all the same, and Force=true beside it makes Argo CD delete and recreate it$/);
      expect(r.notes).toStrictEqual([
        `1 object changed since now in a way the server refuses on update (an immutable field), but Argo CD deletes and recreates it (${OPTIONS}: Force=true,Replace=true), so checked as created afresh: next.yaml:1 recreate`,
        `1 object changed since now in a way the server refuses on update (an immutable field), but Argo CD's client-side apply deletes and recreates it as the server refuses the update (${OPTIONS}: Force=true, kubectl apply --force), so checked as created afresh: next.yaml:35 force`,
      ]);
      // Recreated, they are no upgrades of what was deployed; the other two were checked as updates.
      expect(r).toMatchObject({ objects: 4, upgrades: 2 });
    },
    BUILD_TIMEOUT,
  );

  it(
    'fails it where Flux applies the tree too, since Flux reads no Argo CD sync option',
    async () => {
      await withConsumer('both', async (flux) => {
        const both = 'Force=true,Replace=true';
        const r = await verifyDocuments(docs([job('recreate', 'busybox:1.37', both)], 'next.yaml'), {
          server,
          root: flux,
          against: { name: 'now', docs: docs([job('recreate', 'busybox:1.36', both)], 'now.yaml') },
        });
        expect(r.problems.map((p) => [p.name, p.path, p.rule])).toStrictEqual([['recreate', 'spec.template', 'immutable-field']]);
        expect(r.notes).toStrictEqual([]);
      });
    },
    BUILD_TIMEOUT,
  );

  it(
    'still fails what the recreated object itself is refused for, as created',
    async () => {
      const invalid = { ...job('recreate', 'busybox:1.37', 'Force=true,Replace=true') };
      invalid.spec = { template: { spec: { restartPolicy: 'Always', containers: invalid.spec.template.spec.containers } } };
      const r = await verifyDocuments(docs([invalid], 'next.yaml'), {
        server,
        against: { name: 'now', docs: docs([job('recreate', 'busybox:1.36', 'Force=true,Replace=true')], 'now.yaml') },
      });
      expect(r.problems.map((p) => [p.name, p.path, p.rule])).toStrictEqual([['recreate', 'spec.template.spec.restartPolicy', 'server-rejected']]);
      expect(r.notes).toStrictEqual([]);
    },
    BUILD_TIMEOUT,
  );
});
