import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServers, startServer, type Server } from '@strata/verify';
import { checkObjects, ensureHelper, type Verdict } from '../src/index.ts';
import { loadCorpus, type Case } from './corpus.ts';

// On a fresh machine the first test to ask builds the servers and the helper (minutes, once).
const BUILD_TIMEOUT = 30 * 60_000;

/**
 * Where the offline check and the server are meant to differ, each with its reason. An entry that
 * no longer differs fails the test too, so the table only ever lists real differences.
 */
interface Intended {
  readonly case: string;
  readonly helper: 'accept' | 'refuse';
  readonly server: 'accept' | 'refuse';
  readonly reason: string;
}
const intended = JSON.parse(readFileSync(new URL('./intended-strictness.json', import.meta.url), 'utf8')) as Intended[];

const corpus = loadCorpus();
const NAMESPACE = 'field-checks';
let server: Server;
const helperVerdicts = new Map<string, Verdict>();
const serverVerdicts = new Map<string, { accepted: boolean; status: number; message: string }>();

interface Discovery {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/** The server's judgement: server-side apply with dry run and strict field validation, as `strata verify` sends it. */
async function onServer(c: Case, resources: Map<string, { name: string; namespaced: boolean }>) {
  const { apiVersion, kind } = c.object;
  const meta = c.object.metadata ?? {};
  const resource = resources.get(`${apiVersion}/${kind}`);
  if (!resource) throw new Error(`${c.name}: the server does not serve ${apiVersion} ${kind}`);
  const base = `${apiVersion.includes('/') ? '/apis' : '/api'}/${apiVersion}`;
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : NAMESPACE;
  const collection = `${base}${resource.namespaced ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${resource.name}`;
  const query = 'fieldManager=strata-field-checks&fieldValidation=Strict&dryRun=All';
  // Apply needs a name in the path; an object without one can only be created, so it is POSTed.
  const r =
    typeof meta.name === 'string'
      ? await server.client.request(
          'PATCH',
          `${collection}/${encodeURIComponent(meta.name)}?${query}&force=true`,
          c.object,
          'application/apply-patch+yaml',
        )
      : await server.client.request('POST', `${collection}?${query}`, c.object);
  // A 500 is a refusal too: server-side apply answers a value that does not convert (`cpu: 100mm`)
  // with one, and nothing is stored. Anything else is the test's own failure.
  if (r.status > 500 || r.status === 0) throw new Error(`${c.name}: the server failed (${r.status}): ${JSON.stringify(r.body)}`);
  const message = (r.body as { message?: string } | undefined)?.message ?? '';
  return { accepted: r.status < 300, status: r.status, message };
}

beforeAll(async () => {
  const [binaries, helper] = await Promise.all([ensureServers(() => undefined), ensureHelper()]);
  server = await startServer(binaries);
  const verdicts = await checkObjects(
    helper,
    corpus.map((c) => c.object),
  );
  corpus.forEach((c, i) => helperVerdicts.set(c.name, verdicts[i]!));

  // Every namespace the corpus names exists, so that only the object itself can be refused.
  const namespaces = new Set([NAMESPACE, ...corpus.map((c) => c.object.metadata?.namespace).filter((n): n is string => typeof n === 'string')]);
  for (const name of namespaces)
    await server.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

  const resources = new Map<string, { name: string; namespaced: boolean }>();
  for (const apiVersion of new Set(corpus.map((c) => c.object.apiVersion))) {
    const r = await server.client.request('GET', `${apiVersion.includes('/') ? '/apis' : '/api'}/${apiVersion}`);
    for (const res of (r.body as Discovery).resources) if (!res.name.includes('/')) resources.set(`${apiVersion}/${res.kind}`, res);
  }
  for (const c of corpus) serverVerdicts.set(c.name, await onServer(c, resources));
}, BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
});

const verdictOf = (accepted: boolean) => (accepted ? 'accept' : 'refuse');

describe('offline field validation against a real kube-apiserver', () => {
  it('gives the server verdict on every corpus document, apart from the intended differences', () => {
    const rows = corpus.map((c) => {
      const helper = verdictOf(helperVerdicts.get(c.name)!.errors.length === 0);
      const s = serverVerdicts.get(c.name)!;
      return { case: c.name, helper, server: verdictOf(s.accepted), serverMessage: s.message };
    });
    const agree = rows.filter((r) => r.helper === r.server).length;
    const listed = (r: (typeof rows)[number]) => intended.some((i) => i.case === r.case && i.helper === r.helper && i.server === r.server);
    const outside = rows.filter((r) => !listed(r));
    const agreeOutside = outside.filter((r) => r.helper === r.server).length;
    const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1)} %`;
    console.log(
      `server-validation: agreement with kube-apiserver on ${rows.length} documents: ${agree}/${rows.length} (${pct(agree, rows.length)}); ` +
        `outside the table of intended strictness ${agreeOutside}/${outside.length} (${pct(agreeOutside, outside.length)})`,
    );
    expect(rows.filter((r) => r.helper !== r.server && !listed(r))).toStrictEqual([]);
  });

  it('lists only real differences in the table of intended strictness', () => {
    const stale = intended.filter((i) => {
      const h = helperVerdicts.get(i.case);
      const s = serverVerdicts.get(i.case);
      return !h || !s || verdictOf(h.errors.length === 0) !== i.helper || verdictOf(s.accepted) !== i.server;
    });
    expect(stale).toStrictEqual([]);
  });

  it('agrees with what the corpus says the server does, apart from the intended differences', () => {
    const wrong = corpus
      .filter((c) => verdictOf(serverVerdicts.get(c.name)!.accepted) !== c.expected && !intended.some((i) => i.case === c.name))
      .map((c) => ({ case: c.name, expected: c.expected, server: serverVerdicts.get(c.name) }));
    expect(wrong).toStrictEqual([]);
  });

  it('refuses on a real create the node port that the dry run lets through', async () => {
    const c = corpus.find((x) => x.name === 'nodeport-out-of-range')!;
    const r = await server.client.request('POST', `/api/v1/namespaces/${NAMESPACE}/services?fieldValidation=Strict`, c.object);
    expect(r.status).toBe(422);
    expect((r.body as { message: string }).message).toContain('provided port is not in the valid range');
  });

  it('refuses on a real create the health check node port that the dry run lets through, in the words the helper gives', async () => {
    const c = corpus.find((x) => x.name === 'service-health-check-node-port-out-of-range')!;
    const r = await server.client.request('POST', `/api/v1/namespaces/${NAMESPACE}/services?fieldValidation=Strict`, c.object);
    expect(r.status).toBe(500);
    const said =
      'failed to allocate requested HealthCheck NodePort 40000: provided port is not in the valid range. The range of valid ports is 30000-32767';
    expect((r.body as { message: string }).message).toContain(said);
    expect(helperVerdicts.get(c.name)!.errors).toStrictEqual([expect.objectContaining({ path: 'spec.healthCheckNodePort', message: said })]);
  });
});
