import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { findRoot, Layout } from '@strata/project';
import { committedObjectMetaDefinitions, crdSchemas, readCrds, schemaText } from '@strata/schemas/crd';
import { ensureHelper } from '@strata/server-validation';
import { ensureServers, startServer, type Server } from '@strata/verify';
import { validate } from '../src/index.ts';
import {
  appliedVerdicts,
  createNamespace,
  errorsByCase,
  establishCrds,
  expectCorpusRight,
  expectServerAgrees,
  verdictCorpus,
  type ServerVerdict,
} from './verdicts.ts';

// On a fresh machine the first test to ask builds the servers and the helper (minutes, once).
const BUILD_TIMEOUT = 30 * 60_000;

// Fields left empty (YAML null), one object per file, the first line saying what the server does
// with it: int-or-string and quantity fields, items of lists, required fields, metadata, and fields
// of custom resources with and without `nullable` or a default (the CRDs in crds.yaml, added to a
// project as `strata crd add` adds them). validate's verdict on each is compared with a real
// kube-apiserver's dry-run server-side apply, the request `strata verify` sends: for a custom
// resource it differs from a create, which drops a null of a field that is not nullable first.
const repo = findRoot(import.meta.dirname);
const fixtures = join(import.meta.dirname, '..', '__fixtures__', 'nulls');
const corpus = verdictCorpus(fixtures, ['crds.yaml']);
const crdText = readFileSync(join(fixtures, 'crds.yaml'), 'utf8');
const crds = parseAllDocuments(crdText).map((d) => d.toJS() as { metadata: { name: string } });

const NAMESPACE = 'nulls';
const RESOURCES: Record<string, string> = {
  'v1/Service': '/api/v1/namespaces/nulls/services',
  'v1/ConfigMap': '/api/v1/namespaces/nulls/configmaps',
  'apps/v1/Deployment': '/apis/apps/v1/namespaces/nulls/deployments',
  'policy/v1/PodDisruptionBudget': '/apis/policy/v1/namespaces/nulls/poddisruptionbudgets',
  'networking.k8s.io/v1/NetworkPolicy': '/apis/networking.k8s.io/v1/namespaces/nulls/networkpolicies',
  'nulls.example.com/v1/Kettle': '/apis/nulls.example.com/v1/namespaces/nulls/kettles',
  'nulls.example.com/v1/Teapot': '/apis/nulls.example.com/v1/namespaces/nulls/teapots',
};

let server: Server;
const root = mkdtempSync(join(tmpdir(), 'strata-nulls-'));
/** The errors validate reports for each case, as `<rule> <path>: <message>`. */
let found = new Map<string, string[]>();
let verdicts = new Map<string, ServerVerdict>();

beforeAll(async () => {
  const [binaries] = await Promise.all([ensureServers(() => undefined), ensureHelper()]);
  server = await startServer(binaries);

  // A project with the CRDs added, and their schemas written by the conversion `strata crd add` uses.
  writeFileSync(join(root, 'strata.config.json'), '{}\n');
  symlinkSync(join(repo, '.tools'), join(root, '.tools'));
  mkdirSync(join(root, Layout.crds), { recursive: true });
  writeFileSync(join(root, Layout.crds, 'nulls.example.com.yaml'), crdText);
  for (const { crd } of readCrds(crdText, 'crds.yaml'))
    for (const s of crdSchemas(crd, committedObjectMetaDefinitions(), 'crds.yaml')) {
      const file = join(root, Layout.crdSchemas, s.file);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, schemaText(s.schema));
    }
  mkdirSync(join(root, 'cases'));
  for (const c of corpus) copyFileSync(join(fixtures, `${c.name}.yaml`), join(root, 'cases', `${c.name}.yaml`));
  const result = await validate(
    root,
    corpus.map((c) => join(root, 'cases', `${c.name}.yaml`)),
    { policy: false },
  );
  expect(result.notes).toStrictEqual([]);
  found = errorsByCase(
    result.problems,
    corpus.map((c) => c.name),
  );

  await createNamespace(server, NAMESPACE);
  await establishCrds(server, crds);
  verdicts = await appliedVerdicts(server, corpus, (c) => {
    const path = RESOURCES[`${c.object.apiVersion}/${c.object.kind}`];
    if (!path) throw new Error(`${c.name}: no resource path for ${c.object.apiVersion} ${c.object.kind}`);
    return path;
  });
}, BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('validate of fields left empty (null) against a real kube-apiserver', () => {
  it('has a corpus of built-in objects and custom resources', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    expect(corpus.filter((c) => c.object.apiVersion.startsWith('nulls.example.com/')).length).toBeGreaterThanOrEqual(10);
  });

  it("gives the server's verdict on every document of the corpus", () => expectServerAgrees('fields left empty', corpus, found, verdicts));

  it('agrees with what the corpus says the server does', () => expectCorpusRight(corpus, verdicts));

  it('has the schema check (kubeconform) take every null the server takes', () => {
    const accepted = corpus.filter((c) => verdicts.get(c.name)!.accepted);
    const schemaProblems = accepted.map((c) => ({ case: c.name, problems: found.get(c.name)!.filter((p) => p.startsWith('schema ')) }));
    expect(schemaProblems.filter((r) => r.problems.length > 0)).toStrictEqual([]);
  });

  it('has the schema check refuse a null where the server refuses it for its type alone', () => {
    // Nulls the server refuses whatever else the object says: a required int-or-string, a field of a
    // custom resource that is neither nullable nor defaulted, an item of a list that is not nullable.
    const schemaRefuses = [
      'deployment-probe-port-null',
      'deployment-tcp-probe-port-null',
      'kettle-enum-null',
      'kettle-free-null',
      'kettle-item-optional-null',
      'kettle-item-required-null',
      'kettle-list-item-null',
      'kettle-map-value-null',
      'kettle-nested-null',
      'kettle-object-item-null',
      'kettle-object-null',
      'kettle-optional-fields-null',
      'kettle-port-null',
      'kettle-required-null',
      'kettle-spec-empty',
      'kettle-tags-null',
      'teapot-cups-null',
      'teapot-spec-null',
    ];
    expect(schemaRefuses.filter((name) => !found.get(name)!.some((p) => p.startsWith('schema ')))).toStrictEqual([]);
  });
});
