import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseExact, stringifyExact, type Problem } from '@strata/project';
import { ensureHelper } from '@strata/server-validation';
import { verify, verifyDocuments } from '@strata/verify';
import { BUILD_TIMEOUT, repoWithServer } from '../../verify/test/helpers.ts';
import { parseInputs, validate } from '../src/index.ts';
import { createNamespace } from './verdicts.ts';

/**
 * Integers past 2^53 in int64 fields, and the numbers around them: Strata's verdicts against a real
 * kube-apiserver's, document by document. The server is sent what kubectl sends (the decoder's
 * reading in -reference mode, which is kubectl's own code), and judges it twice:
 *
 * - on create (POST), the request kubectl apply makes for a new object and the one the offline field
 *   checks of `strata validate` stand for: a number past int64 is refused as it is decoded;
 * - on server-side apply, which `strata verify` makes: the body is read as unstructured JSON (a number
 *   past int64 becomes a float64) and converted to the typed object, which wraps such a float to an
 *   int64 instead of refusing it (a Pod's terminationGracePeriodSeconds of 9223372036854775808 is
 *   taken, a Job's activeDeadlineSeconds of it is refused as negative).
 *
 * Before Strata kept every digit, JSON.parse made 9223372036854775807 the double 2^63, which the
 * offline checks refused as past int64 and server-side apply wrapped to -2^63.
 */
const VALUES: readonly string[] = [
  '9007199254740993',
  '-9007199254740993',
  '9223372036854775807',
  '-9223372036854775808',
  '9223372036854775808',
  '9223372036854775809',
  '-9223372036854775809',
  '18446744073709551615',
  '1.5',
  '1e3',
  '1.0',
  '9.3e18',
  '9.223372036854775807e18',
];

const NAMESPACE = 'long-numbers';

/** Documents with one int64 field set to `value`, named `name`: each kind validates the field in its own way. */
const DOCUMENTS: Record<string, (name: string, value: string) => string> = {
  // Cleared on create whatever its value: only decoding can refuse it (kubectl's metadata check too).
  'configmap-deletion-grace': (name, value) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${NAMESPACE}\n  deletionGracePeriodSeconds: ${value}\n`,
  // Must be at least 0.
  'job-active-deadline': (name, value) =>
    [
      'apiVersion: batch/v1',
      'kind: Job',
      'metadata:',
      `  name: ${name}`,
      `  namespace: ${NAMESPACE}`,
      'spec:',
      `  activeDeadlineSeconds: ${value}`,
      '  template:',
      '    spec:',
      '      restartPolicy: Never',
      '      containers:',
      '        - name: app',
      '          image: nginx:1.27',
      '',
    ].join('\n'),
  // Any int64 (a negative one is taken as 1, with a warning).
  'pod-termination-grace': (name, value) =>
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      `  name: ${name}`,
      `  namespace: ${NAMESPACE}`,
      'spec:',
      `  terminationGracePeriodSeconds: ${value}`,
      '  containers:',
      '    - name: app',
      '      image: nginx:1.27',
      '',
    ].join('\n'),
  // JSON is YAML: the same field in a JSON document.
  'pod-json': (name, value) =>
    `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "${name}", "namespace": "${NAMESPACE}"}, ` +
    `"spec": {"terminationGracePeriodSeconds": ${value}, "containers": [{"name": "app", "image": "nginx:1.27"}]}}\n`,
};

interface Case {
  readonly file: string;
  readonly what: string;
  readonly text: string;
  /** The JSON kubectl sends, or why kubectl refuses the document itself. */
  readonly sent: { readonly json: string } | { readonly refused: string };
  /** The server's answers, create and server-side apply (kubectl's own refusal counts as both). */
  create?: Verdict;
  apply?: Verdict;
}

type Verdict = 'accept' | 'refuse';

const CASES: Case[] = Object.entries(DOCUMENTS).flatMap(([kind, doc], k) =>
  VALUES.map((value, v) => {
    const name = `n${k}-${v}`;
    return { file: `dist/dev/${name}.yaml`, what: `${kind} ${value}`, text: doc(name, value), sent: { refused: 'not read yet' } };
  }),
);

// A built workspace of one env: each document is an app's built output, and its overlay's resource.
const live = repoWithServer(Object.fromEntries(CASES.map((c) => [c.file.slice('dist/'.length, -'.yaml'.length), [c.text]])), ensureHelper);

beforeAll(async () => {
  const { repo, server } = live;
  await createNamespace(server, NAMESPACE);

  // What kubectl sends: its own decoding, numbers as encoding/json writes them (every int64 digit
  // kept), read here without rounding any.
  const bin = join(repo, '.tools', 'bin', 'strata-decode');
  const input = CASES.flatMap((c) => [`${Buffer.byteLength(c.text)}\n`, c.text]).join('');
  const lines = execFileSync(bin, ['-reference'], { input, encoding: 'utf8' }).trim().split('\n');
  const readings = lines.map((l) => parseExact(l) as { objects: { object: unknown }[]; error?: string });
  const plurals: Record<string, string> = { ConfigMap: 'configmaps', Job: 'jobs', Pod: 'pods' };
  await Promise.all(
    CASES.map(async (c, i) => {
      const r = readings[i]!;
      const o = r.objects[0];
      if (r.error || !o) {
        Object.assign(c, { sent: { refused: r.error ?? 'no object' }, create: 'refuse', apply: 'refuse' });
        return;
      }
      const json = stringifyExact(o.object);
      const { apiVersion, kind, metadata } = o.object as { apiVersion: string; kind: string; metadata: { name: string } };
      const collection = `${apiVersion.includes('/') ? `/apis/${apiVersion}` : '/api/v1'}/namespaces/${NAMESPACE}/${plurals[kind]}`;
      const created = await server.client.request('POST', `${collection}?dryRun=All&fieldValidation=Strict`, json);
      const applied = await server.client.request(
        'PATCH',
        `${collection}/${metadata.name}?fieldManager=long-numbers&force=true&dryRun=All&fieldValidation=Strict`,
        json,
        'application/apply-patch+yaml',
      );
      // A 500 is a refusal too: server-side apply answers a float where an integer belongs with one.
      for (const r of [created, applied]) if (r.status === 0 || r.status > 500) throw new Error(`${c.what}: the server failed (${r.status})`);
      Object.assign(c, { sent: { json }, create: created.status < 300 ? 'accept' : 'refuse', apply: applied.status < 300 ? 'accept' : 'refuse' });
    }),
  );
}, BUILD_TIMEOUT);

/** Each case's verdict from a run's problems: refused when any error names its file. */
function verdicts(problems: readonly Problem[]): Map<string, Verdict> {
  const refused = new Set(problems.filter((p) => p.severity === 'error').map((p) => p.file));
  return new Map(CASES.map((c) => [c.file, refused.has(c.file) ? 'refuse' : 'accept']));
}

/** Rows where Strata's verdict is not the server's, and one line of how many agree. */
function compare(strata: Map<string, Verdict>, server: (c: Case) => Verdict | undefined, cases: readonly Case[], what: string) {
  const rows = cases.map((c) => ({ case: c.what, strata: strata.get(c.file), server: server(c) }));
  const agree = rows.filter((r) => r.strata === r.server).length;
  console.log(`long numbers: ${what} agrees with kube-apiserver on ${agree}/${rows.length} documents`);
  return rows.filter((r) => r.strata !== r.server);
}

describe('integers past 2^53 offline and on the real API server', () => {
  it('keep every digit in what kubectl sends, and the server tells create from server-side apply', () => {
    const sent = (what: string) => {
      const s = CASES.find((c) => c.what === what)!.sent;
      return 'json' in s ? /"terminationGracePeriodSeconds":([^,}]+)/.exec(s.json)?.[1] : s.refused;
    };
    expect(sent('pod-termination-grace 9223372036854775807')).toBe('9223372036854775807');
    expect(sent('pod-termination-grace -9223372036854775808')).toBe('-9223372036854775808');
    expect(sent('pod-termination-grace 9223372036854775809')).toBe('9223372036854776000');
    expect(sent('pod-json 9007199254740993')).toBe('9007199254740993');
    expect(sent('configmap-deletion-grace 9223372036854775808')).toMatch(/cannot unmarshal number 9223372036854775808 into Go struct field/);
    // The corpus holds both answers of the server, and the cases where they differ.
    const of = (what: string) => CASES.find((c) => c.what === what)!;
    expect([of('pod-termination-grace 9223372036854775807').create, of('pod-termination-grace 9223372036854775807').apply]).toStrictEqual([
      'accept',
      'accept',
    ]);
    expect([of('pod-termination-grace 9223372036854775808').create, of('pod-termination-grace 9223372036854775808').apply]).toStrictEqual([
      'refuse',
      'accept',
    ]);
    expect([of('job-active-deadline 9223372036854775808').create, of('job-active-deadline 9223372036854775808').apply]).toStrictEqual([
      'refuse',
      'refuse',
    ]);
  });

  it(
    'validate gives the verdict of the server on create for every document',
    async () => {
      const { repo } = live;
      const offline = await validate(repo, ['dist'], { policy: false });
      expect(offline.notes).toStrictEqual([]);
      expect(compare(verdicts(offline.problems), (c) => c.create, CASES, 'validate (create)')).toStrictEqual([]);
    },
    BUILD_TIMEOUT,
  );

  // verify's dry run is a server-side apply, which wraps a number past an integer field's range;
  // kubectl apply's create and patch refuse it, and so does verify before its dry run.
  const applied = (c: Case): Verdict | undefined => (c.create === 'refuse' ? 'refuse' : c.apply);

  it(
    'verify of named files gives the verdict of the server on server-side apply, and on create where a create refuses, for every document',
    async () => {
      const { repo, server } = live;
      const parsed = await parseInputs(repo, ['dist']);
      const real = await verifyDocuments(parsed.docs, { server, root: repo });
      const problems = [...parsed.problems, ...real.problems];
      expect(compare(verdicts(problems), applied, CASES, 'verify of named files (server-side apply)')).toStrictEqual([]);
    },
    BUILD_TIMEOUT,
  );

  it(
    "verify of the apps' built output gives the verdict of the server on server-side apply, and on create where a create refuses, for every document kubectl reads",
    async () => {
      const { repo, server } = live;
      // dist/ is what kustomize wrote, which validate has judged as kubectl reads it; verify reads it as it is.
      const read = CASES.filter((c) => 'json' in c.sent);
      const real = await verify(repo, { server });
      expect(real.objects).toBe(CASES.length);
      expect(compare(verdicts(real.problems), applied, read, "verify of the apps' built output (server-side apply)")).toStrictEqual([]);
    },
    BUILD_TIMEOUT,
  );
});
