import type { Manifest } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { runPolicy } from '../src/index.ts';
import { namespaceAdmitsPods } from '../src/rules/namespace-admits-pods.ts';
import { podSecurityReasons, readCorpus, differentialServer, type CorpusDocument } from './differential.ts';

/**
 * namespace-admits-pods against the API server, pod by pod: every document of the corpus (Pods and
 * every pod-bearing kind, with the Pod Security corpus of the rules) becomes the pod the API server would be asked to create (a workload's
 * template, as its controller copies it), and is created (dry run) in namespaces enforcing baseline
 * and restricted at many enforce-versions, in one with no label and in a privileged one. A pod with
 * ephemeral containers is created without them, for real, and they are then added through the
 * ephemeralcontainers subresource (dry run), as `kubectl debug` adds them: the only way the server
 * takes them. Strata's verdict for the document in a set with that Namespace is compared with the
 * server's: refused or admitted, and the Pod Security reasons named.
 */

const VERSIONS = [undefined, 'latest', 'v1.36', 'v1.35', 'v1.34', 'v1.33', 'v1.31', 'v1.30', 'v1.28', 'v1.24', 'v1.22', 'v1.18', 'v1.7'] as const;
const ENFORCE = 'pod-security.kubernetes.io/enforce';
const ENFORCE_VERSION = 'pod-security.kubernetes.io/enforce-version';

interface Space {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

const spaces: Space[] = [
  { name: 'no-label', labels: {} },
  { name: 'privileged', labels: { [ENFORCE]: 'privileged' } },
  ...(['baseline', 'restricted'] as const).flatMap((level) =>
    VERSIONS.map((v) => ({
      name: `${level}-${v === undefined ? 'unpinned' : v.replace('.', '-')}`,
      labels: { [ENFORCE]: level, ...(v !== undefined && { [ENFORCE_VERSION]: v }) },
    })),
  ),
];

/** The reasons of the admission's checks (ForbiddenReason), longest first so that a prefix never wins. */
const REASONS = [
  'forbidden AppArmor profiles',
  'forbidden AppArmor profile',
  'allowPrivilegeEscalation != false',
  'non-default capabilities',
  'unrestricted capabilities',
  'probe or lifecycle host',
  'restricted volume types',
  'runAsNonRoot != true',
  'forbidden sysctls',
  'hostPath volumes',
  'host namespaces',
  'seLinuxOptions',
  'seccompProfile',
  'hostProcess',
  'runAsUser=0',
  'privileged',
  'procMount',
  'hostPort',
].sort((a, b) => b.length - a.length);

/** The reasons of a Pod Security refusal, sorted and each once. */
function serverReasons(message: string): string[] {
  const found = podSecurityReasons(message, REASONS);
  if (!found) throw new Error(`not a Pod Security refusal: ${message}`);
  return [...new Set(found.reasons)].sort();
}

type Verdict = { readonly admitted: true } | { readonly admitted: false; readonly reasons: readonly string[] };

const record = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});

/** The pod the API server is asked to create for a document: a Pod itself, or a workload's template as its controller copies it. */
function podOf(m: Manifest): Manifest {
  if (m.kind === 'Pod') return m;
  const spec = record(m.spec);
  const template = record(m.kind === 'CronJob' ? record(record(record(spec.jobTemplate).spec).template) : spec.template);
  const metadata = record(template.metadata);
  return { apiVersion: 'v1', kind: 'Pod', metadata: { ...metadata, name: m.metadata.name }, spec: template.spec } as Manifest;
}

// This test's own corpus, and the Pod Security corpus of the rules (their built-in kinds that run pods).
const corpus = [
  ...readCorpus('__corpus__/namespace-admission'),
  ...readCorpus('__corpus__/pod-security').filter((d) => !['PodTemplate', 'ScaledJob'].includes(d.manifest.kind)),
];
const verdicts = new Map<string, Verdict>();
const key = (doc: CorpusDocument, space: Space) => `${doc.id} in ${space.name}`;
const refusedSpaces: { labels: Record<string, string>; message: string }[] = [];

async function serverVerdict(doc: CorpusDocument, space: Space): Promise<Verdict> {
  const client = server.server.client;
  const pod = podOf(doc.manifest);
  const spec = record(pod.spec);
  const base = `/api/v1/namespaces/${space.name}/pods`;
  const answer = (r: { status: number; body: unknown }): Verdict | undefined => {
    if (r.status < 300) return undefined;
    const message = String(record(r.body).message ?? `HTTP ${r.status}`);
    if (r.status !== 403) throw new Error(`${key(doc, space)}: HTTP ${r.status} ${message}`);
    return { admitted: false, reasons: serverReasons(message) };
  };
  const ephemeral = spec.ephemeralContainers;
  if (ephemeral === undefined) {
    const r = await client.request('POST', `${base}?dryRun=All`, { ...pod, metadata: { ...pod.metadata, namespace: space.name } });
    return answer(r) ?? { admitted: true };
  }
  const { ephemeralContainers: _, ...without } = spec;
  const created = await client.request('POST', base, { ...pod, metadata: { ...pod.metadata, namespace: space.name }, spec: without });
  const refused = answer(created);
  if (refused) return refused;
  const live = record(created.body);
  const withEphemeral = { ...live, spec: { ...record(live.spec), ephemeralContainers: ephemeral } };
  const r = await client.request('PUT', `${base}/${pod.metadata.name}/ephemeralcontainers?dryRun=All`, withEphemeral);
  return answer(r) ?? { admitted: true };
}

function strataVerdict(doc: CorpusDocument, space: Space): Verdict {
  const namespace: Manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: space.name, labels: { ...space.labels } } };
  const object: Manifest = { ...doc.manifest, metadata: { ...doc.manifest.metadata, namespace: space.name } };
  const findings = runPolicy(
    [
      { manifest: namespace, file: 'namespace.yaml' },
      { manifest: object, file: doc.id },
    ],
    {},
    [namespaceAdmitsPods],
  );
  if (findings.length === 0) return { admitted: true };
  const reasons = findings.map((f) => {
    const m = /\(([^()]+)\)\.$/.exec(f.message);
    if (!m) throw new Error(`no reason in: ${f.message}`);
    return m[1]!;
  });
  return { admitted: false, reasons: [...new Set(reasons)].sort() };
}

const server = differentialServer([], async () => {
  for (const space of spaces) await server.namespace(space.name, space.labels);
  for (const labels of <Record<string, string>[]>[{ [ENFORCE]: 'Restricted' }, { [ENFORCE]: 'restricted', [ENFORCE_VERSION]: '1.30' }]) {
    const r = await server.server.client.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: `invalid-${refusedSpaces.length}`, labels },
    });
    refusedSpaces.push({ labels, message: r.status < 300 ? '' : String(record(r.body).message) });
  }
  const jobs = corpus.flatMap((doc) => spaces.map((space) => ({ doc, space })));
  // A few requests at a time: enough to keep the server busy, few enough for two cores.
  for (let i = 0; i < jobs.length; i += 8)
    await Promise.all(jobs.slice(i, i + 8).map(async ({ doc, space }) => verdicts.set(key(doc, space), await serverVerdict(doc, space))));
});

describe('namespace-admits-pods and the API server', () => {
  it('refuse and admit the same pods, for the same Pod Security reasons, at every level and enforce-version', () => {
    const differ: string[] = [];
    for (const doc of corpus)
      for (const space of spaces) {
        const theirs = verdicts.get(key(doc, space))!;
        const ours = strataVerdict(doc, space);
        if (JSON.stringify(ours) !== JSON.stringify(theirs))
          differ.push(`${key(doc, space)}: server ${JSON.stringify(theirs)}, strata ${JSON.stringify(ours)}`);
      }
    expect(differ).toStrictEqual([]);
  });

  it('with a corpus where the pinned version decides, and every level refuses and admits something', () => {
    const admittedIn = (space: string) => corpus.filter((d) => verdicts.get(`${d.id} in ${space}`)?.admitted).length;
    // Each of these pods is admitted at one version and refused at another of the same level.
    const decidedByVersion = corpus.filter((doc) =>
      (['baseline', 'restricted'] as const).some((level) => {
        const at = spaces.filter((s) => s.name.startsWith(`${level}-`)).map((s) => verdicts.get(key(doc, s))!.admitted);
        return at.includes(true) && at.includes(false);
      }),
    );
    expect(decidedByVersion.length).toBeGreaterThanOrEqual(10);
    expect(admittedIn('no-label')).toBe(corpus.length);
    expect(admittedIn('privileged')).toBe(corpus.length);
    expect(admittedIn('baseline-latest')).toBeGreaterThan(0);
    expect(admittedIn('baseline-latest')).toBeLessThan(corpus.length);
    expect(admittedIn('restricted-latest')).toBeGreaterThan(0);
    expect(admittedIn('restricted-latest')).toBeLessThan(admittedIn('baseline-latest'));
  });

  it('and a Namespace whose enforce labels the server refuses to create is an error on that Namespace', () => {
    for (const { labels, message } of refusedSpaces) {
      expect(message).toMatch(/pod-security\.kubernetes\.io\/enforce/);
      const namespace: Manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'invalid', labels } };
      const findings = runPolicy([{ manifest: namespace, file: 'namespace.yaml' }], {}, [namespaceAdmitsPods]);
      expect(findings.map((f) => [f.object.manifest.kind, f.severity])).toStrictEqual([['Namespace', 'error']]);
    }
  });
});
