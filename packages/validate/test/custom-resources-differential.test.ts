import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findRoot } from '@strata/project';
import { ensureHelper } from '@strata/server-validation';
import { ensureServers, startServer, type Server } from '@strata/verify';
import { keptCrds } from '../src/crds.ts';
import { validate } from '../src/index.ts';

// On a fresh machine the first test to ask builds the servers and the helper (minutes, once).
const BUILD_TIMEOUT = 30 * 60_000;

// Custom resources of the CRDs the repository ships (packages/schemas/crds), one per file, the first
// line saying what the server does with it. validate's verdict on each (every check: the strict
// schema, the reader, the server's own code against the CRD) is compared with a real kube-apiserver's
// on create, once those CRDs are installed.
const repo = findRoot(import.meta.dirname);
const dir = join(import.meta.dirname, '..', '__fixtures__', 'custom-resources');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => join(dir, f));
interface Case {
  readonly name: string;
  readonly expected: 'accept' | 'refuse';
  readonly object: { apiVersion: string; kind: string; metadata: { name: string } };
}
const corpus: Case[] = files.map((path) => {
  const text = readFileSync(path, 'utf8');
  const head = /^# (accept|refuse): /.exec(text);
  if (!head) throw new Error(`${path}: the first line must be "# accept: <what>" or "# refuse: <what is wrong>"`);
  return { name: basename(path, '.yaml'), expected: head[1] as Case['expected'], object: parse(text) as Case['object'] };
});
const NAMESPACE = 'crd-checks';
let server: Server;
const validateVerdicts = new Map<string, string[]>();
const serverVerdicts = new Map<string, { accepted: boolean; message: string }>();

beforeAll(async () => {
  const [binaries] = await Promise.all([ensureServers(() => undefined), ensureHelper()]);
  server = await startServer(binaries);
  const result = await validate(repo, files, { policy: false });
  expect(result.notes).toStrictEqual([]);
  for (const c of corpus) validateVerdicts.set(c.name, []);
  for (const p of result.problems)
    if (p.severity === 'error') validateVerdicts.get(basename(p.file, '.yaml'))?.push(`${p.rule} ${p.path ?? ''}: ${p.message}`);

  await server.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  const crds = keptCrds(
    repo,
    corpus.map((c) => c.object),
  );
  const plural = new Map<string, string>();
  for (const crd of crds) {
    const r = await server.client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd.manifest);
    if (r.status >= 300) throw new Error(`the server refused the CRD of ${crd.file}: ${JSON.stringify(r.body)}`);
    const m = crd.manifest as { metadata: { name: string }; spec: { names: { plural: string } } };
    plural.set(`${crd.group}/${crd.kind}`, m.spec.names.plural);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const got = await server.client.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${m.metadata.name}`);
      const conditions = (got.body as { status?: { conditions?: { type: string; status: string }[] } })?.status?.conditions ?? [];
      if (conditions.some((x) => x.type === 'Established' && x.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${m.metadata.name} not Established after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  for (const c of corpus) {
    const group = c.object.apiVersion.slice(0, c.object.apiVersion.lastIndexOf('/'));
    const resource = plural.get(`${group}/${c.object.kind}`);
    if (!resource) throw new Error(`${c.name}: the repository keeps no CRD for ${c.object.kind}`);
    // Every CRD here is namespaced; a 404 (a version the CRD does not serve) is a refusal.
    const r = await server.client.request(
      'POST',
      `/apis/${c.object.apiVersion}/namespaces/${NAMESPACE}/${resource}?fieldValidation=Strict&dryRun=All`,
      c.object,
    );
    if (r.status >= 500 || r.status === 0) throw new Error(`${c.name}: the server failed (${r.status}): ${JSON.stringify(r.body)}`);
    serverVerdicts.set(c.name, { accepted: r.status < 300, message: (r.body as { message?: string } | undefined)?.message ?? '' });
  }
}, BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
});

const verdictOf = (accepted: boolean) => (accepted ? 'accept' : 'refuse');

describe('validate of custom resources against a real kube-apiserver with the CRDs the repository keeps', () => {
  it("gives the server's verdict on every custom resource of the corpus", () => {
    const rows = corpus.map((c) => ({
      case: c.name,
      validate: verdictOf(validateVerdicts.get(c.name)!.length === 0),
      server: verdictOf(serverVerdicts.get(c.name)!.accepted),
      problems: validateVerdicts.get(c.name),
      serverMessage: serverVerdicts.get(c.name)!.message,
    }));
    const agree = rows.filter((r) => r.validate === r.server).length;
    console.log(
      `validate: custom resources of kept CRDs: agreement with kube-apiserver on ${rows.length} documents: ${agree}/${rows.length} (${((100 * agree) / rows.length).toFixed(1)} %)`,
    );
    expect(rows.filter((r) => r.validate !== r.server)).toStrictEqual([]);
  });

  it('agrees with what the corpus says the server does', () => {
    expect(corpus.filter((c) => verdictOf(serverVerdicts.get(c.name)!.accepted) !== c.expected).map((c) => c.name)).toStrictEqual([]);
  });

  it('reports the CEL rules of a kept CRD, which its schema file cannot say, in the server check', () => {
    expect(validateVerdicts.get('httproute-backend-without-port')).toStrictEqual([
      'server-validation spec.rules[0].backendRefs[0]: Invalid value: Must have port for Service reference',
    ]);
  });
});
