import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { groupOf, type Environment, type Manifest } from '@strata/core';
import { Layout } from '@strata/project';
import { allocationsAsked, canonicalIp, nodePortsAsked } from '@strata/node-ports';
import { ingressRoutes } from '@strata/policy';

/** What of an app's built output a shared-cluster collision is about, to be found in its dist/ file. */
export type Claimed =
  /** An object by its id as `AppSyncPlan.objects` lists it. */
  | { readonly object: string }
  | { readonly nodePort: number }
  /** In its canonical form (`canonicalIp`). */
  | { readonly clusterIp: string }
  /** A PriorityClass marked `globalDefault`, by name. */
  | { readonly defaultPriorityClass: string }
  /** A host and path of an IngressClass that an Ingress routes. */
  | { readonly route: readonly [ingressClass: string, host: string, path: string] };

/**
 * Where a claimed thing is: the app's built file `dist/<env>/<app>.yaml`, and, where that file holds
 * it, the line of its field (of the object without one), the object as a problem names it
 * (`apiVersion/Kind namespace/name`) and the field path.
 */
export interface Place {
  readonly file: string;
  readonly line?: number;
  readonly object?: string;
  readonly path?: string;
}

/** Finds a claimed thing of an env's app. */
export type Locate = (env: Environment, app: string, claimed: Claimed) => Place;

/** The built file alone: where nothing is read. */
export const distFileOnly: Locate = (env, app) => ({ file: Layout.distOf(env, app) });

/** A dotted field path as segments: `spec.ports[1].nodePort` -> ['spec', 'ports', 1, 'nodePort']. */
const segments = (path: string): (string | number)[] =>
  path
    .split(/\.|\[(\d+)\]/)
    .filter((s) => s !== undefined && s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

interface DistDoc {
  readonly manifest: Manifest;
  readonly doc: Document;
}

/**
 * Finds claimed things in the built files under `root` as they are on disk (read once each, and only
 * when a collision asks): the object that holds the thing and the line of its field. A file that is
 * missing, does not parse or no longer holds the thing (built before the change) gives the file alone.
 */
export function distPlaces(root: string): Locate {
  const files = new Map<string, { docs: DistDoc[]; lines: LineCounter }>();
  const read = (file: string) => {
    let read = files.get(file);
    if (read) return read;
    const lines = new LineCounter();
    const docs: DistDoc[] = [];
    try {
      for (const doc of parseAllDocuments(readFileSync(join(root, file), 'utf8'), { lineCounter: lines })) {
        const manifest = doc.errors.length === 0 ? (doc.toJS() as unknown) : undefined;
        if (manifest && typeof manifest === 'object' && 'kind' in manifest && 'metadata' in manifest)
          docs.push({ manifest: manifest as Manifest, doc });
      }
    } catch {
      // Missing or unreadable: the file alone.
    }
    read = { docs, lines };
    files.set(file, read);
    return read;
  };
  return (env, app, claimed) => {
    const file = Layout.distOf(env, app);
    const { docs, lines } = read(file);
    for (const { manifest: m, doc } of docs) {
      const path = fieldOf(m, claimed);
      if (path === undefined) continue;
      const node = path === '' ? doc.contents : doc.getIn(segments(path), true);
      const offset = (node as { range?: [number, number, number] } | null | undefined)?.range?.[0] ?? doc.contents?.range?.[0];
      const ns = typeof m.metadata.namespace === 'string' && m.metadata.namespace ? `${m.metadata.namespace}/` : '';
      return {
        file,
        ...(offset !== undefined ? { line: lines.linePos(offset).line } : {}),
        object: `${m.apiVersion}/${m.kind} ${ns}${m.metadata.name}`,
        ...(path ? { path } : {}),
      };
    }
    return { file };
  };
}

/** The field of `m` that claims the thing ('' for the object itself), or undefined when `m` does not claim it. */
function fieldOf(m: Manifest, claimed: Claimed): string | undefined {
  if (typeof m.apiVersion !== 'string' || typeof m.kind !== 'string' || !m.metadata || typeof m.metadata !== 'object') return undefined;
  if ('object' in claimed) {
    const [kind, place] = claimed.object.split(' ');
    const group = groupOf(m.apiVersion);
    if (kind !== `${group ? `${group}/` : ''}${m.kind}`) return undefined;
    const slash = place!.indexOf('/');
    const [ns, name] = slash < 0 ? [undefined, place] : [place!.slice(0, slash), place!.slice(slash + 1)];
    // A namespaced object written without a namespace goes to the destination, which its id names.
    const written = m.metadata.namespace;
    return m.metadata.name === name && (ns === undefined || !written || written === ns) ? '' : undefined;
  }
  if ('nodePort' in claimed) return nodePortsAsked(m).find((a) => a.port === claimed.nodePort)?.path;
  if ('clusterIp' in claimed) return allocationsAsked(m).find((a) => a.pool === 'cluster-ip' && a.key === canonicalIp(claimed.clusterIp))?.path;
  if ('defaultPriorityClass' in claimed)
    return m.metadata.name === claimed.defaultPriorityClass ? allocationsAsked(m).find((a) => a.pool === 'default-priority-class')?.path : undefined;
  const [ingressClass, host, path] = claimed.route;
  return ingressRoutes(m).find((r) => r.ingressClass === ingressClass && r.host === host && r.path === path)?.field;
}
