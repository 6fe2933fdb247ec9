import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensureServers, startServer, type Server } from '@strata/verify';
import { checkWithCrds, ensureHelper, type Verdict } from '../src/index.ts';
import { loadCorpus, type Case } from './corpus.ts';

// On a fresh machine the first test to ask builds the servers and the helper (minutes, once).
const BUILD_TIMEOUT = 30 * 60_000;

const dir = fileURLToPath(new URL('./crd-corpus', import.meta.url));
const crds = readdirSync(join(dir, 'crds'))
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map(
    (f) =>
      parse(readFileSync(join(dir, 'crds', f), 'utf8')) as {
        metadata: { name: string };
        spec: { scope: string; names: { kind: string; plural: string } };
      },
  );
const corpus = loadCorpus(join(dir, 'cases'));
// CRDs alone, valid and not: whether the helper registers each is whether the server stores it.
const definitions = loadCorpus(join(dir, 'definitions'));
const NAMESPACE = 'crd-checks';
let server: Server;
let crdVerdicts: Verdict[];
const helperVerdicts = new Map<string, Verdict>();
const serverVerdicts = new Map<string, { accepted: boolean; status: number; message: string }>();
let definitionVerdicts: Verdict[];
const definitionsOnServer = new Map<string, { accepted: boolean; message: string }>();

/**
 * The server's judgement of a custom resource on create, with dry run and strict field validation.
 * A 404 is a refusal: the CRD does not serve that version.
 */
async function onServer(c: Case) {
  const { apiVersion, kind } = c.object;
  const crd = crds.find((d) => d.spec.names.kind === kind);
  if (!crd) throw new Error(`${c.name}: no CRD of the corpus defines ${kind}`);
  const meta = c.object.metadata ?? {};
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : NAMESPACE;
  const scope = crd.spec.scope === 'Namespaced' ? `/namespaces/${namespace}` : '';
  const r = await server.client.request('POST', `/apis/${apiVersion}${scope}/${crd.spec.names.plural}?fieldValidation=Strict&dryRun=All`, c.object);
  if (r.status >= 500 || r.status === 0) throw new Error(`${c.name}: the server failed (${r.status}): ${JSON.stringify(r.body)}`);
  const message = (r.body as { message?: string } | undefined)?.message ?? '';
  return { accepted: r.status < 300, status: r.status, message };
}

async function established(name: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await server.client.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
    const conditions = (r.body as { status?: { conditions?: { type: string; status: string }[] } })?.status?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  const [binaries, helper] = await Promise.all([ensureServers(() => undefined), ensureHelper()]);
  server = await startServer(binaries);
  const verdicts = await checkWithCrds(
    helper,
    crds,
    corpus.map((c) => c.object),
  );
  crdVerdicts = verdicts.crds;
  corpus.forEach((c, i) => helperVerdicts.set(c.name, verdicts.objects[i]!));

  await server.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  for (const crd of crds) {
    const r = await server.client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    if (r.status >= 300) throw new Error(`the server refused the CRD ${crd.metadata.name}: ${JSON.stringify(r.body)}`);
  }
  for (const crd of crds) await established(crd.metadata.name);
  for (const c of corpus) serverVerdicts.set(c.name, await onServer(c));

  definitionVerdicts = (
    await checkWithCrds(
      helper,
      definitions.map((d) => d.object),
      [],
    )
  ).crds;
  for (const d of definitions) {
    const r = await server.client.request(
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions?fieldValidation=Strict&dryRun=All',
      d.object,
    );
    if (r.status >= 500 || r.status === 0) throw new Error(`${d.name}: the server failed (${r.status}): ${JSON.stringify(r.body)}`);
    definitionsOnServer.set(d.name, { accepted: r.status < 300, message: (r.body as { message?: string } | undefined)?.message ?? '' });
  }
}, BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
});

const verdictOf = (accepted: boolean) => (accepted ? 'accept' : 'refuse');

describe('offline validation of custom resources against a real kube-apiserver', () => {
  it('registers every CRD of the corpus, as the server stores them', () => {
    expect(crdVerdicts.map((v) => v.errors)).toStrictEqual(crds.map(() => []));
  });

  it('gives the server verdict on every custom resource of the corpus', () => {
    const rows = corpus.map((c) => {
      const v = helperVerdicts.get(c.name)!;
      const s = serverVerdicts.get(c.name)!;
      return { case: c.name, checked: v.checked, helper: verdictOf(v.errors.length === 0), server: verdictOf(s.accepted), serverMessage: s.message };
    });
    const agree = rows.filter((r) => r.checked && r.helper === r.server).length;
    console.log(
      `server-validation: custom resources: agreement with kube-apiserver on ${rows.length} documents: ${agree}/${rows.length} (${((100 * agree) / rows.length).toFixed(1)} %)`,
    );
    expect(rows.filter((r) => !r.checked || r.helper !== r.server)).toStrictEqual([]);
  });

  it('agrees with what the corpus says the server does', () => {
    const wrong = corpus
      .filter((c) => verdictOf(serverVerdicts.get(c.name)!.accepted) !== c.expected)
      .map((c) => ({ case: c.name, expected: c.expected, server: serverVerdicts.get(c.name) }));
    expect(wrong).toStrictEqual([]);
  });

  it('names the fields of what the schema refuses as the server does', () => {
    const paths = (name: string) => helperVerdicts.get(name)!.errors.map((e) => `${e.type} ${e.path}`);
    expect(paths('widget-unknown-field-at-depth')).toStrictEqual(['UnknownField spec.nested.inner.depth.extra']);
    expect(paths('widget-unknown-field-in-list-item')).toStrictEqual(['UnknownField spec.containers[0].ports[0].protocol']);
    // With a schema error the CEL rules do not run, and the server says so, for the object as a whole.
    expect(paths('widget-size-not-in-enum')).toStrictEqual(['FieldValueNotSupported spec.size', 'FieldValueInvalid ']);
    expect(helperVerdicts.get('widget-size-not-in-enum')!.errors[1]!.message).toContain('some validation rules were not checked');
    expect(serverVerdicts.get('widget-size-not-in-enum')!.message).toContain('some validation rules were not checked');
    expect(paths('widget-missing-owner')).toStrictEqual(['FieldValueRequired spec.owner', 'FieldValueInvalid ']);
    expect(paths('widget-cel-min-above-max')).toStrictEqual(['FieldValueInvalid spec']);
    expect(paths('widget-version-unknown')).toStrictEqual(['FieldValueNotSupported apiVersion']);
    // The server names each of them in its message.
    for (const [name, field] of [
      ['widget-unknown-field-at-depth', 'spec.nested.inner.depth.extra'],
      ['widget-size-not-in-enum', 'spec.size'],
      ['widget-cel-min-above-max', 'minReplicas must not be above maxReplicas'],
    ] as const)
      expect(serverVerdicts.get(name)!.message).toContain(field);
  });

  it('registers a CRD exactly when the server stores it, and says why not in its words', () => {
    const rows = definitions.map((d, i) => ({
      case: d.name,
      helper: verdictOf(definitionVerdicts[i]!.errors.length === 0),
      server: verdictOf(definitionsOnServer.get(d.name)!.accepted),
      expected: d.expected,
      errors: definitionVerdicts[i]!.errors.map((e) => `${e.path}: ${e.message}`),
      serverMessage: definitionsOnServer.get(d.name)!.message,
    }));
    const agree = rows.filter((r) => r.helper === r.server).length;
    console.log(`server-validation: CRDs: agreement with kube-apiserver on ${rows.length} definitions: ${agree}/${rows.length}`);
    expect(rows.filter((r) => r.helper !== r.server || r.server !== r.expected)).toStrictEqual([]);
    // Each refusal names the field the server names.
    for (const r of rows.filter((x) => x.helper === 'refuse'))
      expect(
        r.errors.filter((e) => r.serverMessage.includes(e.split(': ')[0]!)),
        r.case,
      ).not.toStrictEqual([]);
  });
});
