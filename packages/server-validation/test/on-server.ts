import { ensureServers, startServer, type Server } from '@strata/verify';
import { checkObjects, ensureHelper, type Verdict } from '../src/index.ts';
import type { Case } from './corpus.ts';

/** The namespace of the corpus documents that name none. */
export const NAMESPACE = 'field-checks';

/** What the server did with one document. */
export interface ServerVerdict {
  readonly accepted: boolean;
  readonly status: number;
  readonly message: string;
  /** The fields its refusal names (`details.causes[].field`), when it names any. */
  readonly fields: readonly string[];
}

interface Discovery {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/** Every resource the server serves at the corpus's apiVersions, by `<apiVersion>/<Kind>`. */
export async function servedResources(server: Server, corpus: readonly Case[]): Promise<Map<string, { name: string; namespaced: boolean }>> {
  const resources = new Map<string, { name: string; namespaced: boolean }>();
  for (const apiVersion of new Set(corpus.map((c) => c.object.apiVersion))) {
    const r = await server.client.request('GET', `${apiVersion.includes('/') ? '/apis' : '/api'}/${apiVersion}`);
    for (const res of (r.body as Discovery).resources) if (!res.name.includes('/')) resources.set(`${apiVersion}/${res.kind}`, res);
  }
  return resources;
}

/** Creates every namespace the corpus names, so that only the object itself can be refused. */
export async function createNamespaces(server: Server, corpus: readonly Case[]): Promise<void> {
  const namespaces = new Set([NAMESPACE, ...corpus.map((c) => c.object.metadata?.namespace).filter((n): n is string => typeof n === 'string')]);
  for (const name of namespaces)
    await server.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** The server's judgement: server-side apply with dry run and strict field validation, as `strata verify` sends it. */
export async function onServer(server: Server, c: Case, resources: Map<string, { name: string; namespaced: boolean }>): Promise<ServerVerdict> {
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
  const body = r.body as { message?: string; details?: { causes?: { field?: string }[] } } | undefined;
  const fields = (body?.details?.causes ?? []).map((cause) => cause.field).filter((f): f is string => typeof f === 'string' && f !== '');
  return { accepted: r.status < 300, status: r.status, message: body?.message ?? '', fields };
}

/** Every kind the server lets clients create, as `{ apiVersion, kind }`, from its discovery. */
export async function creatableKinds(server: Server): Promise<{ apiVersion: string; kind: string }[]> {
  const versions = ['v1'];
  const groups = await server.client.request('GET', '/apis');
  for (const g of (groups.body as { groups: { versions: { groupVersion: string }[] }[] }).groups)
    versions.push(...g.versions.map((v) => v.groupVersion));
  const out: { apiVersion: string; kind: string }[] = [];
  for (const apiVersion of versions) {
    const r = await server.client.request('GET', `${apiVersion.includes('/') ? '/apis' : '/api'}/${apiVersion}`);
    for (const res of (r.body as { resources: { name: string; kind: string; verbs: string[] }[] }).resources)
      if (!res.name.includes('/') && res.verbs.includes('create')) out.push({ apiVersion, kind: res.kind });
  }
  return out;
}

/**
 * A real kube-apiserver and the offline helper, each with its verdict on every document of the
 * corpus, by case name: what the differential tests compare. The caller stops the server.
 */
export async function judgeCorpus(corpus: readonly Case[]): Promise<{
  server: Server;
  helper: string;
  helperVerdicts: Map<string, Verdict>;
  serverVerdicts: Map<string, ServerVerdict>;
}> {
  const [binaries, helper] = await Promise.all([ensureServers(() => undefined), ensureHelper()]);
  const server = await startServer(binaries);
  const verdicts = await checkObjects(
    helper,
    corpus.map((c) => c.object),
  );
  const helperVerdicts = new Map(corpus.map((c, i) => [c.name, verdicts[i]!]));
  await createNamespaces(server, corpus);
  const resources = await servedResources(server, corpus);
  const serverVerdicts = new Map<string, ServerVerdict>();
  for (const c of corpus) serverVerdicts.set(c.name, await onServer(server, c, resources));
  return { server, helper, helperVerdicts, serverVerdicts };
}
