import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { type Manifest } from '@strata/core';
import { ToolError } from '@strata/project';
import { buildOverlays } from '@strata/kustomize';
import { selectOverlays } from './build.ts';
import { parseBuilt } from './check.ts';
import type { Selection } from './generate.ts';

/** One container's image as the cluster gets it. */
export interface ImageRow {
  /** `Kind/name` of the object that runs it. */
  readonly workload: string;
  readonly container: string;
  /** `repo@sha256:...` or `repo:tag`, exactly as built. */
  readonly image: string;
}

/** How many pods a workload runs: a fixed count, or the range an autoscaler keeps it in. */
export interface ScaleRow {
  readonly workload: string;
  /** `spec.replicas` as built; absent when the object leaves it to the API server's default (1) or to an autoscaler. */
  readonly replicas?: number;
  readonly autoscaling?: { readonly by: string; readonly min: number; readonly max: number };
}

/** What runs where: one app in one env, read from what `kustomize build` of its overlay produces. */
export interface AppEnvRow {
  readonly app: string;
  readonly env: string;
  readonly images: ImageRow[];
  readonly scale: ScaleRow[];
  readonly hosts: string[];
  /** The overlay's components (`base/<app>/components/<name>`), by name. */
  readonly components: string[];
}

const POD_SPEC_PATHS: Record<string, readonly string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};
const SCALABLE = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const at = (v: unknown, path: readonly string[]): unknown => path.reduce<unknown>((o, k) => obj(o)[k], v);
const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);

/** Host names a routing object answers for: Ingress rules and TLS, Gateway API routes, Traefik's Host() matches. */
function hostsOf(m: Manifest): string[] {
  const spec = obj((m as Obj).spec);
  if (m.kind === 'Ingress') {
    return [...list(spec.rules).map((r) => obj(r).host), ...list(spec.tls).flatMap((t) => list(obj(t).hosts))].filter(
      (h): h is string => typeof h === 'string',
    );
  }
  if (['HTTPRoute', 'GRPCRoute', 'TLSRoute'].includes(m.kind)) return list(spec.hostnames).filter((h): h is string => typeof h === 'string');
  if (m.kind === 'IngressRoute' || m.kind === 'IngressRouteTCP') {
    return list(spec.routes).flatMap((r) => {
      const match = obj(r).match;
      return typeof match === 'string'
        ? [...match.matchAll(/Host(?:SNI)?\(([^)]*)\)/g)].flatMap((h) => [...h[1]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]!))
        : [];
    });
  }
  return [];
}

/** The row of one app in one env from its built objects and its overlay's components. */
export function describeOverlay(app: string, env: string, manifests: readonly Manifest[], components: readonly string[]): AppEnvRow {
  const images: ImageRow[] = [];
  const scale: ScaleRow[] = [];
  const autoscalers = new Map<string, { by: string; min: number; max: number }>();
  for (const m of manifests) {
    const spec = obj((m as Obj).spec);
    const target = obj(spec.scaleTargetRef);
    if (m.kind === 'HorizontalPodAutoscaler' && typeof target.name === 'string') {
      autoscalers.set(`${target.kind}/${target.name}`, {
        by: `HorizontalPodAutoscaler/${m.metadata.name}`,
        min: num(spec.minReplicas, 1),
        max: num(spec.maxReplicas, 1),
      });
    }
    // KEDA's defaults when the fields are left out: 0 and 100.
    if (m.kind === 'ScaledObject' && typeof target.name === 'string') {
      autoscalers.set(`${typeof target.kind === 'string' ? target.kind : 'Deployment'}/${target.name}`, {
        by: `ScaledObject/${m.metadata.name}`,
        min: num(spec.minReplicaCount, 0),
        max: num(spec.maxReplicaCount, 100),
      });
    }
  }
  const hosts = new Set<string>();
  for (const m of manifests) {
    for (const h of hostsOf(m)) hosts.add(h);
    const path = POD_SPEC_PATHS[m.kind];
    if (!path) continue;
    const workload = `${m.kind}/${m.metadata.name}`;
    const pod = obj(at(m, path));
    for (const c of [...list(pod.initContainers), ...list(pod.containers)]) {
      const { name, image } = obj(c);
      if (typeof name === 'string' && typeof image === 'string') images.push({ workload, container: name, image });
    }
    if (SCALABLE.has(m.kind)) {
      const replicas = obj((m as Obj).spec).replicas;
      const autoscaling = autoscalers.get(workload);
      scale.push({ workload, ...(typeof replicas === 'number' ? { replicas } : {}), ...(autoscaling ? { autoscaling } : {}) });
    }
  }
  return { app, env, images, scale, hosts: [...hosts].sort(), components: [...components] };
}

/** The components an overlay includes: its kustomization's (and, for a split overlay, its namespaced part's) `components`. */
export function overlayComponents(root: string, overlay: string): string[] {
  const names: string[] = [];
  for (const dir of [overlay, `${overlay}/namespaced`]) {
    const file = join(root, dir, 'kustomization.yaml');
    if (!existsSync(file)) continue;
    for (const c of list(obj(parse(readFileSync(file, 'utf8'))).components)) if (typeof c === 'string') names.push(posix.basename(c));
  }
  return names;
}

/**
 * `strata ls`: what runs where, read from the committed overlays as kustomize builds them (what
 * `kubectl apply -k` and Argo CD deploy), not from the code, so an overlay edited by hand or by a
 * bot shows what it really deploys.
 */
export async function listRows(root: string, selection: Selection = {}): Promise<AppEnvRow[]> {
  const overlays = selectOverlays(root, selection);
  const built = await buildOverlays(
    root,
    overlays.map((o) => o.dir),
  );
  return built.map((r, i) => {
    const { app, env, dir } = overlays[i]!;
    if (!r.ok) throw new (r.toolFailed ? ToolError : Error)(`${dir}: kustomize build failed: ${r.error}`);
    return describeOverlay(app, env, parseBuilt(r.yaml, dir), overlayComponents(root, dir));
  });
}

/** How a workload scales, in a few characters: `3`, or `2-20` when an autoscaler keeps it in that range. */
export function scaleText(s: ScaleRow): string {
  if (s.autoscaling) return `${s.autoscaling.min}-${s.autoscaling.max}`;
  return s.replicas === undefined ? '1' : String(s.replicas);
}

/** Hex digits of a digest that `strata ls` shows by default, as `docker images` shows an image ID. */
const SHORT_DIGEST = 12;

/** An image reference with its digest cut to its first hex digits and `…`: `repo@sha256:4f6d1c0e2b7a…`. */
export function shortImage(image: string): string {
  return image.replace(/(@[a-z0-9]+(?:[+._-][a-z0-9]+)*:)([0-9a-f]{32,})$/, (whole, algorithm: string, hex: string) =>
    hex.length > SHORT_DIGEST ? `${algorithm}${hex.slice(0, SHORT_DIGEST)}…` : whole,
  );
}

/**
 * `strata ls` as a table, one line per app and env; workloads are named only where they differ.
 * Digests are cut short unless `wide` (a row of pinned images would not fit a terminal otherwise).
 */
export function formatRows(rows: readonly AppEnvRow[], options: { wide?: boolean } = {}): string[] {
  const image = options.wide ? (i: string) => i : shortImage;
  const cells = rows.map((r) => {
    const texts = r.scale.map(scaleText);
    const same = new Set(texts).size <= 1;
    return [
      r.app,
      r.env,
      [...new Set(r.images.map((i) => image(i.image)))].join(' ') || '-',
      same
        ? `${texts[0] ?? '-'}${texts.length > 1 ? ` (each of ${texts.length})` : ''}`
        : r.scale.map((s, i) => `${s.workload.split('/')[1]}=${texts[i]}`).join(' '),
      r.hosts.join(' ') || '-',
      r.components.join(' ') || '-',
    ];
  });
  const table = [['APP', 'ENV', 'IMAGES', 'REPLICAS', 'HOSTS', 'COMPONENTS'], ...cells];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) =>
    row
      .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
