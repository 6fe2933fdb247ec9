import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '@strata/verify';
import type { Verdict } from '../src/index.ts';
import { loadCorpus } from './corpus.ts';
import { judgeCorpus, NAMESPACE, type ServerVerdict } from './on-server.ts';

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
let server: Server;
let helperVerdicts: Map<string, Verdict>;
let serverVerdicts: Map<string, ServerVerdict>;

beforeAll(async () => {
  ({ server, helperVerdicts, serverVerdicts } = await judgeCorpus(corpus));
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
