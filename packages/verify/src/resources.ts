import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isPlainObject } from '@strata/core';
import { ToolError } from '@strata/project';
import { crdManifestDocuments, crdManifestsDir } from '@strata/schemas';
import type { Client } from '@strata/project/apiserver';

/** A CustomResourceDefinition from packages/schemas/crds. */
export interface Crd {
  readonly file: string;
  readonly name: string;
  readonly group: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  readonly versions: readonly string[];
  readonly manifest: Record<string, unknown>;
}

interface CrdManifest {
  metadata: { name: string };
  spec: { group: string; scope: string; names: { kind: string; plural: string }; versions: { name: string; served: boolean }[] };
}

/** A CRD manifest as `Crd`; undefined when it lacks what the server needs to serve it. */
export function crdOf(manifest: Record<string, unknown>, file: string): Crd | undefined {
  const m = manifest as Partial<CrdManifest>;
  const spec = m.spec;
  if (!m.metadata?.name || !spec?.group || !spec.names?.kind || !spec.names.plural || !Array.isArray(spec.versions)) return undefined;
  return {
    file,
    name: m.metadata.name,
    group: spec.group,
    kind: spec.names.kind,
    plural: spec.names.plural,
    namespaced: spec.scope === 'Namespaced',
    versions: spec.versions.filter((v) => v.served).map((v) => v.name),
    manifest,
  };
}

/**
 * Every CRD of a folder (packages/schemas/crds, or a project's crds/), keyed by `<group>/<Kind>`. Read
 * with js-yaml's core schema, as dist/ is (documents.ts): the shipped CRDs are 6 MB of YAML, which the
 * `yaml` package took 4 s of CPU to parse and js-yaml 0.7 s, to the same values. `turn` is awaited
 * after each file, so that a caller can let other work (the server's start) go on in between.
 *
 * With `groups`, only the files of those API groups are read, for a folder whose files are named
 * `<group>_<plural>.yaml` (`Layout.crdManifest`; test/resources.test.ts checks that every shipped
 * CRD's group is its file's): an input uses a few of the shipped groups, and reading them all cost
 * Node about 0.2 s of CPU at every run.
 */
export async function loadCrds(
  dir: string,
  turn: () => Promise<void> = async () => undefined,
  groups?: ReadonlySet<string>,
): Promise<Map<string, Crd>> {
  const out = new Map<string, Crd>();
  if (!existsSync(dir)) return out;
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && (!groups || groups.has(groupOfFile(f))))
    .sort()) {
    const path = join(dir, file);
    let values: unknown[];
    try {
      const text = readFileSync(path, 'utf8');
      // The shipped files are the same on every run: read once per machine.
      values = dir === crdManifestsDir ? crdManifestDocuments(text) : loadAll(text, undefined, { schema: CORE_SCHEMA });
    } catch (e) {
      throw new Error(`${path}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
    }
    // Every document, so that an empty one (a file `strata crd add` once wrote with its header twice) is passed over.
    for (const value of values) {
      const crd = isPlainObject(value) ? crdOf(value, path) : undefined;
      if (crd) out.set(`${crd.group}/${crd.kind}`, crd);
    }
    await turn();
  }
  return out;
}

/** `monitoring.coreos.com_servicemonitors.yaml` -> `monitoring.coreos.com`. */
export const groupOfFile = (file: string): string => file.slice(0, Math.max(0, file.indexOf('_')));

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Where an object lives in the API, or why it cannot be placed there. */
export type Resolution =
  | { readonly ok: true; readonly prefix: string; readonly plural: string; readonly namespaced: boolean }
  | { readonly ok: false; readonly rule: 'missing-crd' | 'unknown-kind'; readonly message: string };

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/**
 * Maps apiVersion and kind to a REST path using the server's discovery. Groups the server serves
 * before any CRD is installed are built in: a kind missing there is an API the target version lacks;
 * a kind of any other group needs a CRD, and the message says which one is not installed.
 */
export class Resources {
  private readonly lists = new Map<string, Promise<ApiResourceList | undefined>>();

  private constructor(
    private readonly client: Client,
    private readonly builtinGroups: ReadonlySet<string>,
    private readonly crds: Map<string, Crd>,
  ) {}

  /** A CRD installed from the input: its kind resolves from now on, in place of a shipped one. */
  addCrd(crd: Crd): void {
    this.crds.set(`${crd.group}/${crd.kind}`, crd);
  }

  /** Call before installing CRDs: what the server serves then is the built-in API. */
  static async discover(client: Client, crds: Map<string, Crd>): Promise<Resources> {
    const r = await client.request('GET', '/apis');
    if (r.status !== 200) throw new ToolError(`discovery (GET /apis) failed with HTTP ${r.status}`);
    const groups = new Set(['', ...(r.body as { groups: { name: string }[] }).groups.map((g) => g.name)]);
    // A server that is reused (tests share one) may already serve CRDs: their groups are not built in.
    const installed = await client.request('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    for (const crd of (installed.body as { items?: { spec: { group: string } }[] } | undefined)?.items ?? []) groups.delete(crd.spec.group);
    return new Resources(client, groups, crds);
  }

  /** Whether the server serves this apiVersion's group before any CRD is installed. */
  isBuiltin(apiVersion: string): boolean {
    return this.builtinGroups.has(splitApiVersion(apiVersion).group);
  }

  /** The installed CRD that serves this kind, if packages/schemas has one. */
  crdFor(apiVersion: string, kind: string): Crd | undefined {
    const { group } = splitApiVersion(apiVersion);
    return this.builtinGroups.has(group) ? undefined : this.crds.get(`${group}/${kind}`);
  }

  async resolve(apiVersion: string, kind: string): Promise<Resolution> {
    const { group, version } = splitApiVersion(apiVersion);
    const prefix = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    if (!this.builtinGroups.has(group)) {
      // Read from the CRD itself: discovery of a just-established CRD can lag behind by a moment.
      const crd = this.crds.get(`${group}/${kind}`);
      if (!crd) {
        return {
          ok: false,
          rule: 'missing-crd',
          message:
            `no CustomResourceDefinition for ${kind} in group ${group} is installed: packages/schemas/crds has none, ` +
            `so a cluster would refuse this object too; add the CRD (see packages/schemas/README.md, "Add a CRD")`,
        };
      }
      if (!crd.versions.includes(version)) {
        return {
          ok: false,
          rule: 'unknown-kind',
          message: `CustomResourceDefinition ${crd.name} does not serve ${version} (it serves ${crd.versions.join(', ')})`,
        };
      }
      return { ok: true, prefix, plural: crd.plural, namespaced: crd.namespaced };
    }
    let list = this.lists.get(prefix);
    if (!list) {
      list = this.client.request('GET', prefix).then((r) => (r.status === 200 ? (r.body as ApiResourceList) : undefined));
      this.lists.set(prefix, list);
    }
    const found = (await list)?.resources.find((res) => res.kind === kind && !res.name.includes('/'));
    if (!found) {
      return {
        ok: false,
        rule: 'unknown-kind',
        message: `the API server does not serve ${kind} in ${apiVersion} (removed or not yet available in this Kubernetes version)`,
      };
    }
    return { ok: true, prefix, plural: found.name, namespaced: found.namespaced };
  }
}
