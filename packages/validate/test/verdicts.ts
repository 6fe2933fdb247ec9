import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect } from 'vitest';
import { parse } from 'yaml';
import type { Problem } from '@strata/project';
import type { Server } from '@strata/verify';

/**
 * What the differential tests of validate against a real kube-apiserver share: a corpus of one
 * object a file whose first line says what the server does with it, the server's verdict on each
 * (a strict dry-run create, or the dry-run server-side apply `strata verify` sends), and the comparison of validate's verdict with the server's.
 */

export type Expected = 'accept' | 'refuse';

export interface VerdictCase<O = { apiVersion: string; kind: string }> {
  readonly name: string;
  readonly expected: Expected;
  readonly object: O;
}

export interface ServerVerdict {
  readonly accepted: boolean;
  readonly message: string;
}

/** The `.yaml` files of a folder (but `skip`), sorted, each `# accept: <what>` or `# refuse: <what is wrong>` on its first line. */
export function verdictCorpus<O = { apiVersion: string; kind: string }>(folder: string, skip: readonly string[] = []): VerdictCase<O>[] {
  return readdirSync(folder)
    .filter((f) => f.endsWith('.yaml') && !skip.includes(f))
    .sort()
    .map((f) => {
      const text = readFileSync(join(folder, f), 'utf8');
      const head = /^# (accept|refuse): /.exec(text);
      if (!head) throw new Error(`${f}: the first line must be "# accept: <what>" or "# refuse: <what is wrong>"`);
      return { name: basename(f, '.yaml'), expected: head[1] as Expected, object: parse(text) as O };
    });
}

/** The errors validate reports for each case (its file `<name>.yaml`), as `<rule> <path>: <message>`. */
export function errorsByCase(problems: readonly Problem[], names: readonly string[]): Map<string, string[]> {
  const found = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const p of problems) if (p.severity === 'error') found.get(basename(p.file, '.yaml'))?.push(`${p.rule} ${p.path ?? ''}: ${p.message}`);
  return found;
}

/** Creates the namespace `name` for the corpus's namespaced objects; a refusal fails the test here, not at each object. */
export async function createNamespace(server: Pick<Server, 'client'>, name: string): Promise<void> {
  const r = await server.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  expect(r.status, `the namespace ${name}`).toBeLessThan(300);
}

/** Creates each CRD on the server and waits until the server says it is Established. */
export async function establishCrds(server: Server, crds: readonly { readonly metadata: { readonly name: string } }[], what = 'CRD'): Promise<void> {
  for (const crd of crds) {
    const r = await server.client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    if (r.status >= 300) throw new Error(`the server refused the ${what} ${crd.metadata.name}: ${JSON.stringify(r.body)}`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const got = await server.client.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
      const conditions = (got.body as { status?: { conditions?: { type: string; status: string }[] } })?.status?.conditions ?? [];
      if (conditions.some((x) => x.type === 'Established' && x.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} not Established after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The server's verdict on each case, created at `pathOf(case)` in a dry run with strict field validation. */
export async function serverVerdicts<O>(
  server: Server,
  corpus: readonly VerdictCase<O>[],
  pathOf: (c: VerdictCase<O>) => string,
): Promise<Map<string, ServerVerdict>> {
  const verdicts = new Map<string, ServerVerdict>();
  for (const c of corpus) {
    const r = await server.client.request('POST', `${pathOf(c)}?fieldValidation=Strict&dryRun=All`, c.object);
    if (r.status >= 500 || r.status === 0) throw new Error(`${c.name}: the server failed (${r.status}): ${JSON.stringify(r.body)}`);
    verdicts.set(c.name, { accepted: r.status < 300, message: (r.body as { message?: string } | undefined)?.message ?? '' });
  }
  return verdicts;
}

/**
 * The server's verdict on each case, applied at `pathOf(case)/<name>` in a dry-run server-side apply
 * with the query `strata verify` sends. A case without a name is refused unsent, as verify refuses it.
 */
export async function appliedVerdicts<O>(
  server: Server,
  corpus: readonly VerdictCase<O>[],
  pathOf: (c: VerdictCase<O>) => string,
): Promise<Map<string, ServerVerdict>> {
  const verdicts = new Map<string, ServerVerdict>();
  for (const c of corpus) {
    const name = (c.object as { metadata?: { name?: unknown } }).metadata?.name;
    if (typeof name !== 'string') {
      verdicts.set(c.name, { accepted: false, message: 'no metadata.name to apply' });
      continue;
    }
    const query = '?fieldManager=strata-test&force=true&fieldValidation=Ignore&dryRun=All';
    const r = await server.client.request('PATCH', `${pathOf(c)}/${encodeURIComponent(name)}${query}`, c.object, 'application/apply-patch+yaml');
    // An apply answers some refusals with 500 (a null item of a keyed list); verify reports them as refusals too.
    if (r.status === 0 || r.status === 503) throw new Error(`${c.name}: the server failed (${r.status}): ${JSON.stringify(r.body)}`);
    verdicts.set(c.name, { accepted: r.status < 300, message: (r.body as { message?: string } | undefined)?.message ?? '' });
  }
  return verdicts;
}

const verdictOf = (accepted: boolean): Expected => (accepted ? 'accept' : 'refuse');

/** Expects validate's verdict (no error) to be the server's on every case, after printing how many agree. */
export function expectServerAgrees<O>(
  what: string,
  corpus: readonly VerdictCase<O>[],
  found: ReadonlyMap<string, readonly string[]>,
  server: ReadonlyMap<string, ServerVerdict>,
): void {
  const rows = corpus.map((c) => ({
    case: c.name,
    validate: verdictOf(found.get(c.name)!.length === 0),
    server: verdictOf(server.get(c.name)!.accepted),
    problems: found.get(c.name),
    serverMessage: server.get(c.name)!.message,
  }));
  const agree = rows.filter((r) => r.validate === r.server).length;
  console.log(
    `validate: ${what}: agreement with kube-apiserver on ${rows.length} documents: ${agree}/${rows.length} (${((100 * agree) / rows.length).toFixed(1)} %)`,
  );
  expect(rows.filter((r) => r.validate !== r.server)).toStrictEqual([]);
}

/** Expects the server to do with every case what its first line says. */
export function expectCorpusRight<O>(corpus: readonly VerdictCase<O>[], server: ReadonlyMap<string, ServerVerdict>): void {
  expect(corpus.filter((c) => verdictOf(server.get(c.name)!.accepted) !== c.expected).map((c) => c.name)).toStrictEqual([]);
}
