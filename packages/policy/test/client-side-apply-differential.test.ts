import type { Manifest } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { ANNOTATIONS_SIZE_LIMIT } from '../src/index.ts';
import { fitClientSideApply } from '../src/rules/fit-client-side-apply.ts';
import { differentialServer } from './differential.ts';

/**
 * fit-client-side-apply against the API server: each object of the corpus is sent as `kubectl apply`
 * sends it on a create, with the last-applied-configuration annotation set by kubectl's rules
 * (written out below on their own, from k8s.io/kubectl/pkg/util/apply.go and Go's encoding/json),
 * in a dry-run create, and the server's verdict is compared with the rule's. Every case is a pair of
 * objects one step apart across the server's limit, found with that encoding.
 */

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const NAMESPACE = 'shop';

/** A string as Go's encoding/json writes it. */
function goString(s: string): string {
  let out = '"';
  for (const c of s) {
    const code = c.codePointAt(0)!;
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || c === '<' || c === '>' || c === '&' || code === 0x2028 || code === 0x2029)
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

/** A decoded object as Go's encoding/json writes it: compact, map keys in byte order. */
function goEncode(v: unknown): string {
  if (typeof v === 'string') return goString(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(goEncode).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>).sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  return `{${entries.map(([k, x]) => `${goString(k)}:${goEncode(x)}`).join(',')}}`;
}

/** The body `kubectl apply -n <namespace>` creates an object with: GetModifiedConfiguration with annotate. */
function clientSideApplyBody(manifest: Manifest, namespace: string): { body: string; annotationsSize: number } {
  const obj = structuredClone(manifest) as Manifest & { metadata: { annotations?: Record<string, string>; namespace?: string } };
  obj.metadata.namespace ??= namespace;
  const annotations = { ...(obj.metadata.annotations ?? {}) };
  delete annotations[LAST_APPLIED];
  obj.metadata.annotations = annotations;
  annotations[LAST_APPLIED] = `${goEncode(obj)}\n`;
  const annotationsSize = Object.entries(annotations).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  return { body: goEncode(obj), annotationsSize };
}

interface Case {
  readonly name: string;
  /** The namespace kubectl is given; the object names none when it differs from NAMESPACE. */
  readonly namespace?: string;
  /** The object with `n` units of filler. */
  make(n: number): Manifest;
}

const configMap = (name: string, data: Record<string, string>, extra: Partial<Manifest> = {}, annotations?: Record<string, string>): Manifest => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: NAMESPACE, ...(annotations ? { annotations } : {}) },
  data,
  ...extra,
});

const CASES: readonly Case[] = [
  { name: 'ascii-data', make: (n) => configMap('ascii-data', { 'settings.txt': 'a'.repeat(n) }) },
  {
    name: 'no-namespace',
    namespace: 'default',
    make: (n) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'no-namespace' }, data: { blob: 'b'.repeat(n) } }),
  },
  { name: 'big-annotation', make: (n) => configMap('big-annotation', { mode: 'fast' }, {}, { 'example.com/notes': 'n'.repeat(n) }) },
  {
    name: 'annotations-and-data',
    make: (n) =>
      configMap('annotations-and-data', { blob: 'd'.repeat(n) }, {}, { 'example.com/a': 'x'.repeat(40_000), 'example.com/b': 'y'.repeat(30_000) }),
  },
  {
    name: 'stale-last-applied',
    make: (n) => configMap('stale-last-applied', { blob: 's'.repeat(n) }, {}, { [LAST_APPLIED]: `{"old":"${'o'.repeat(200_000)}"}\n` }),
  },
  {
    name: 'secret-string-data',
    make: (n) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'secret-string-data', namespace: NAMESPACE },
      type: 'Opaque',
      stringData: { 'token.txt': 't'.repeat(n) },
    }),
  },
  { name: 'two-byte-utf8', make: (n) => configMap('two-byte-utf8', { text: 'é'.repeat(n) }) },
  { name: 'three-byte-utf8', make: (n) => configMap('three-byte-utf8', { text: '€'.repeat(n) }) },
  { name: 'four-byte-utf8', make: (n) => configMap('four-byte-utf8', { text: '😀'.repeat(n) }) },
  { name: 'html-escaped', make: (n) => configMap('html-escaped', { page: '<&>'.repeat(n) }) },
  { name: 'line-separator', make: (n) => configMap('line-separator', { text: 'a\u2028'.repeat(n) }) },
  { name: 'binary-data', make: (n) => configMap('binary-data', {}, { binaryData: { 'blob.bin': 'QUJD'.repeat(n) } }) },
];

const namespaceOf = (c: Case) => c.namespace ?? NAMESPACE;

/** The largest filler whose annotations fit, by the encoding above: that object and the next one straddle the limit. */
function straddle(c: Case): [Manifest, Manifest] {
  const size = (n: number) => clientSideApplyBody(c.make(n), namespaceOf(c)).annotationsSize;
  let lo = 0;
  let hi = ANNOTATIONS_SIZE_LIMIT;
  if (size(lo) > ANNOTATIONS_SIZE_LIMIT || size(hi) <= ANNOTATIONS_SIZE_LIMIT) throw new Error(`${c.name}: the filler does not cross the limit`);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (size(mid) <= ANNOTATIONS_SIZE_LIMIT) lo = mid;
    else hi = mid;
  }
  return [c.make(lo), c.make(hi)];
}

const server = differentialServer([], async () => {
  await server.namespace(NAMESPACE);
});

/** The server's verdict on kubectl's create: undefined when accepted, else its message. */
async function serverRefusal(manifest: Manifest, namespace: string): Promise<string | undefined> {
  const resource = manifest.kind === 'Secret' ? 'secrets' : 'configmaps';
  const { body } = clientSideApplyBody(manifest, namespace);
  const r = await server.server.client.request(
    'POST',
    `/api/v1/namespaces/${namespace}/${resource}?dryRun=All&fieldManager=kubectl-client-side-apply&fieldValidation=Strict`,
    body,
  );
  if (r.status < 300) return undefined;
  return (r.body as { message?: string } | undefined)?.message ?? `HTTP ${r.status}`;
}

const ruleRefuses = (manifest: Manifest) => fitClientSideApply.check([{ manifest, file: 'corpus.yaml' }], {}).length > 0;

describe('fit-client-side-apply agrees with the API server on kubectl apply', () => {
  it.each(CASES.map((c) => [c.name, c]))('%s: just under and just over the limit', async (_name, c) => {
    const [under, over] = straddle(c);
    const namespace = namespaceOf(c);
    const verdicts = [await serverRefusal(under, namespace), await serverRefusal(over, namespace)];
    // The corpus really is at the boundary: the server takes the one and refuses the other, for its annotations.
    expect(verdicts[0]).toBeUndefined();
    expect(verdicts[1]).toContain('metadata.annotations: Too long: may not be more than 262144 bytes');
    expect([ruleRefuses(under), ruleRefuses(over)]).toStrictEqual([false, true]);
  });

  it('and on objects far from the limit, on both sides', async () => {
    const small = configMap('small', { mode: 'fast' });
    const large = configMap('large', { blob: 'z'.repeat(600 * 1024) });
    expect([await serverRefusal(small, NAMESPACE), ruleRefuses(small)]).toStrictEqual([undefined, false]);
    expect([(await serverRefusal(large, NAMESPACE)) !== undefined, ruleRefuses(large)]).toStrictEqual([true, true]);
  });
});
