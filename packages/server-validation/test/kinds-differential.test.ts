import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '@strata/verify';
import { checkObjects, type Verdict } from '../src/index.ts';
import { loadCorpus } from './corpus.ts';
import { creatableKinds, judgeCorpus, type ServerVerdict } from './on-server.ts';

// On a fresh machine the first test to ask builds the servers and the helper (minutes, once).
const BUILD_TIMEOUT = 30 * 60_000;

/**
 * The kinds beyond the workloads: ServiceCIDR, IPAddress, the admission policies and their
 * bindings, CertificateSigningRequest, the resource.k8s.io kinds, CSINode, CSIStorageCapacity,
 * VolumeAttachment, both Event APIs, APIService, Node, and the metadata fields the server sets.
 */
const corpus = loadCorpus(fileURLToPath(new URL('./kinds-corpus', import.meta.url)));
let server: Server;
let helper: string;
let helperVerdicts: Map<string, Verdict>;
let serverVerdicts: Map<string, ServerVerdict>;

beforeAll(async () => {
  ({ server, helper, helperVerdicts, serverVerdicts } = await judgeCorpus(corpus));
}, BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
});

const verdictOf = (accepted: boolean) => (accepted ? 'accept' : 'refuse');
const sorted = (paths: readonly string[]) => [...new Set(paths)].sort();

describe('offline checks of every kind kube-apiserver serves, against the server, document by document', () => {
  it("checks offline every kind the server's discovery lists as creatable, or says that its create needs a cluster", async () => {
    const kinds = await creatableKinds(server);
    expect(kinds.length).toBeGreaterThan(50);
    const verdicts = await checkObjects(
      helper,
      kinds.map((k) => ({ ...k, metadata: { name: 'probe' } })),
    );
    const unknown = kinds
      .map((k, i) => ({ ...k, verdict: verdicts[i]! }))
      .filter((k) => !k.verdict.checked && !k.verdict.needsCluster && k.kind !== 'CustomResourceDefinition')
      .map((k) => `${k.apiVersion} ${k.kind}: ${k.verdict.reason}`);
    expect(unknown).toStrictEqual([]);
  });

  it('checks every document of the corpus offline', () => {
    expect(corpus.filter((c) => !helperVerdicts.get(c.name)!.checked).map((c) => [c.name, helperVerdicts.get(c.name)!.reason])).toStrictEqual([]);
  });

  it('gives the server verdict on every document', () => {
    const rows = corpus.map((c) => {
      const h = helperVerdicts.get(c.name)!;
      const s = serverVerdicts.get(c.name)!;
      return { case: c.name, helper: verdictOf(h.errors.length === 0), server: verdictOf(s.accepted), said: s.message, found: h.errors };
    });
    const agree = rows.filter((r) => r.helper === r.server).length;
    console.log(`server-validation: agreement with kube-apiserver on ${rows.length} documents of the other kinds: ${agree}/${rows.length}`);
    expect(rows.filter((r) => r.helper !== r.server)).toStrictEqual([]);
  });

  it('names the fields the server names in its refusal', () => {
    const differ = corpus
      .map((c) => ({
        case: c.name,
        server: sorted(serverVerdicts.get(c.name)!.fields),
        helper: sorted(helperVerdicts.get(c.name)!.errors.map((e) => e.path)),
      }))
      .filter((r) => r.server.length > 0 && JSON.stringify(r.server) !== JSON.stringify(r.helper));
    expect(differ).toStrictEqual([]);
  });

  it('names the field a refusal is about where the server names none (a conflict, a bad request)', () => {
    const unnamed = corpus.filter((c) => !serverVerdicts.get(c.name)!.accepted && serverVerdicts.get(c.name)!.fields.length === 0);
    expect(unnamed.map((c) => c.name)).toStrictEqual(expect.arrayContaining(['metadata-uid', 'metadata-managed-fields']));
    const differ = unnamed
      .map((c) => ({
        case: c.name,
        expected: sorted(c.at ?? []),
        helper: sorted(helperVerdicts.get(c.name)!.errors.map((e) => e.path)),
        said: serverVerdicts.get(c.name)!.message,
      }))
      .filter((r) => JSON.stringify(r.expected) !== JSON.stringify(r.helper));
    expect(differ).toStrictEqual([]);
  });

  it('agrees with what the corpus says the server does, at the fields it names', () => {
    const wrong = corpus
      .filter((c) => {
        const s = serverVerdicts.get(c.name)!;
        if (verdictOf(s.accepted) !== c.expected) return true;
        return s.fields.length > 0 && c.at !== undefined && JSON.stringify(sorted(s.fields)) !== JSON.stringify(sorted(c.at));
      })
      .map((c) => ({ case: c.name, expected: c.expected, at: c.at, server: serverVerdicts.get(c.name) }));
    expect(wrong).toStrictEqual([]);
  });
});
