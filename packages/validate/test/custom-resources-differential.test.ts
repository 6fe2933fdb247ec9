import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRoot } from '@strata/project';
import { ensureHelper } from '@strata/server-validation';
import { ensureServers, startServer, type Server } from '@strata/verify';
import { keptCrds } from '../src/crds.ts';
import { validate } from '../src/index.ts';
import {
  createNamespace,
  errorsByCase,
  establishCrds,
  expectCorpusRight,
  expectServerAgrees,
  serverVerdicts,
  verdictCorpus,
  type ServerVerdict,
} from './verdicts.ts';

// On a fresh machine the first test to ask builds the servers and the helper (minutes, once).
const BUILD_TIMEOUT = 30 * 60_000;

// Custom resources of the CRDs the repository ships (packages/schemas/crds), one per file, the first
// line saying what the server does with it. validate's verdict on each (every check: the strict
// schema, the reader, the server's own code against the CRD) is compared with a real kube-apiserver's
// on create, once those CRDs are installed.
const repo = findRoot(import.meta.dirname);
const dir = join(import.meta.dirname, '..', '__fixtures__', 'custom-resources');
const corpus = verdictCorpus<{ apiVersion: string; kind: string; metadata: { name: string } }>(dir);
const NAMESPACE = 'crd-checks';
let server: Server;
let validateVerdicts = new Map<string, string[]>();
let verdicts = new Map<string, ServerVerdict>();

beforeAll(async () => {
  const [binaries] = await Promise.all([ensureServers(() => undefined), ensureHelper()]);
  server = await startServer(binaries);
  const result = await validate(
    repo,
    corpus.map((c) => join(dir, `${c.name}.yaml`)),
    { policy: false },
  );
  expect(result.notes).toStrictEqual([]);
  validateVerdicts = errorsByCase(
    result.problems,
    corpus.map((c) => c.name),
  );

  await createNamespace(server, NAMESPACE);
  const crds = keptCrds(
    repo,
    corpus.map((c) => c.object),
  );
  const plural = new Map<string, string>();
  for (const crd of crds) {
    const m = crd.manifest as { metadata: { name: string }; spec: { names: { plural: string } } };
    plural.set(`${crd.group}/${crd.kind}`, m.spec.names.plural);
  }
  await establishCrds(
    server,
    crds.map((crd) => crd.manifest as { metadata: { name: string } }),
  );
  // Every CRD here is namespaced; a 404 (a version the CRD does not serve) is a refusal.
  verdicts = await serverVerdicts(server, corpus, (c) => {
    const group = c.object.apiVersion.slice(0, c.object.apiVersion.lastIndexOf('/'));
    const resource = plural.get(`${group}/${c.object.kind}`);
    if (!resource) throw new Error(`${c.name}: the repository keeps no CRD for ${c.object.kind}`);
    return `/apis/${c.object.apiVersion}/namespaces/${NAMESPACE}/${resource}`;
  });
}, BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
});

describe('validate of custom resources against a real kube-apiserver with the CRDs the repository keeps', () => {
  it("gives the server's verdict on every custom resource of the corpus", () =>
    expectServerAgrees('custom resources of kept CRDs', corpus, validateVerdicts, verdicts));

  it('agrees with what the corpus says the server does', () => expectCorpusRight(corpus, verdicts));

  it('reports the CEL rules of a kept CRD, which its schema file cannot say, in the server check', () => {
    expect(validateVerdicts.get('httproute-backend-without-port')).toStrictEqual([
      'server-validation spec.rules[0].backendRefs[0]: Invalid value: Must have port for Service reference',
    ]);
  });
});
