import type { Manifest } from '@strata/core';

/** How a node is drawn; the kinds that share a colour share a category. */
export type NodeCategory =
  | 'ingress'
  | 'service'
  | 'workload'
  | 'config'
  | 'secret'
  | 'storage'
  | 'identity'
  | 'scaler'
  | 'monitor'
  | 'secret-source'
  | 'peer';

export interface GraphNode {
  /** Unique and stable: `Kind/namespace/name` for objects, `peer/<app>/<what>` for NetworkPolicy peers. */
  readonly id: string;
  /** The Kubernetes kind, or for peers `Namespace`, `Pods`, `IPBlock`, `Internet`, `DNS` or `Anywhere`. */
  readonly kind: string;
  /** The object's name (with any Kustomize hash suffix), or a description of the peer. */
  readonly name: string;
  readonly namespace?: string;
  /** The application the node belongs to; nodes are grouped by app and namespace. */
  readonly app: string;
  readonly category: NodeCategory;
  /** Display lines after the kind: the name without hash suffix, then details (hosts, replicas). */
  readonly lines: readonly string[];
  /** Referenced but not among the manifests (a Secret an ExternalSecret creates, say). */
  readonly implied?: boolean;
  /** How many objects the node stands for, when `collapseSimilar` merged several. */
  readonly count?: number;
}

/** What an edge means; `allows` comes from NetworkPolicies and is drawn dashed. */
export type EdgeKind =
  | 'routes'
  | 'selects'
  | 'mounts'
  | 'env'
  | 'runs-as'
  | 'pulls-with'
  | 'claims'
  | 'scales'
  | 'monitors'
  | 'creates'
  | 'reads-from'
  | 'allows';

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  /** Ports for `allows` and `routes`, replica range for `scales`. */
  readonly label?: string;
}

export interface Topology {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  /** Namespaces with a default-deny NetworkPolicy, and which directions it denies. */
  readonly defaultDeny: ReadonlyMap<string, readonly ('Ingress' | 'Egress')[]>;
}

export interface TopologyOptions {
  /**
   * The application an object belongs to.
   * @default the labels `app.kubernetes.io/part-of`, then `app.kubernetes.io/name`, then `app`, then the namespace
   */
  readonly appOf?: (m: Manifest) => string | undefined;
  /** Namespace of objects that have none. @default "default" */
  readonly defaultNamespace?: string;
  /** Draw NetworkPolicy allowances. @default true */
  readonly networkPolicies?: boolean;
}

type Obj = Record<string, unknown>;
type LabelSelector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);
const CATEGORY: Readonly<Record<string, NodeCategory>> = {
  Ingress: 'ingress',
  IngressRoute: 'ingress',
  IngressRouteTCP: 'ingress',
  Service: 'service',
  Endpoints: 'service',
  ConfigMap: 'config',
  Secret: 'secret',
  PersistentVolumeClaim: 'storage',
  ServiceAccount: 'identity',
  HorizontalPodAutoscaler: 'scaler',
  ScaledObject: 'scaler',
  ServiceMonitor: 'monitor',
  PodMonitor: 'monitor',
  ExternalSecret: 'secret-source',
  SecretStore: 'secret-source',
  ClusterSecretStore: 'secret-source',
  ...Object.fromEntries([...WORKLOADS].map((k) => [k, 'workload' as const])),
};

/** `kustomize` appends a 10-character hash from this alphabet to generated ConfigMaps and Secrets. */
const HASH_SUFFIX = /-[2456789bcdfghkmt]{10}$/;
/** A name without its Kustomize hash suffix, for display and for matching unbuilt references. */
export const withoutHash = (name: string) => name.replace(HASH_SUFFIX, '');

const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function matchesSelector(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function selectorText(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k.replace(/^app\.kubernetes\.io\//, '')}=${v}`);
  for (const e of selector.matchExpressions ?? []) parts.push(`${e.key} ${e.operator}${e.values ? ` (${e.values.join(', ')})` : ''}`);
  return parts.join(', ') || 'all';
}

const isEmptySelector = (s: LabelSelector) => Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;

/** `TCP 8080`, `TCP+UDP 53`, `all ports`: what a NetworkPolicy rule lets through. */
export function portsText(ports: readonly Obj[]): string {
  if (ports.length === 0) return 'all ports';
  const byPort = new Map<string, Set<string>>();
  for (const p of ports) {
    const port = p.port === undefined ? 'any' : `${String(p.port)}${p.endPort !== undefined ? `-${String(p.endPort)}` : ''}`;
    const set = byPort.get(port) ?? new Set<string>();
    set.add(str(p.protocol) ?? 'TCP');
    byPort.set(port, set);
  }
  return [...byPort].map(([port, protocols]) => `${[...protocols].sort().join('+')} ${port}`).join(', ');
}

function podTemplate(m: Manifest): Obj | undefined {
  const spec = obj(m.spec);
  if (m.kind === 'CronJob') return obj(obj(obj(spec.jobTemplate).spec).template);
  return WORKLOADS.has(m.kind) ? obj(spec.template) : undefined;
}

function defaultAppOf(m: Manifest): string | undefined {
  const labels = m.metadata.labels ?? {};
  return labels['app.kubernetes.io/part-of'] ?? labels['app.kubernetes.io/name'] ?? labels.app;
}

/**
 * Computes what talks to what among built manifests: Ingress -> Service -> workload (by selector),
 * workload -> ConfigMap/Secret/PVC/ServiceAccount (volumes, env, envFrom, volumeClaimTemplates),
 * HPA/ScaledObject -> workload, ServiceMonitor -> Service, ExternalSecret -> Secret, and the
 * allowances of NetworkPolicies (peer -> workload for ingress rules, workload -> peer for egress).
 */
export function topology(manifests: readonly Manifest[], options: TopologyOptions = {}): Topology {
  const defaultNs = options.defaultNamespace ?? 'default';
  const nsOf = (m: Manifest) => m.metadata.namespace ?? (m.kind === 'ClusterSecretStore' ? undefined : defaultNs);
  const appOf = (m: Manifest) => options.appOf?.(m) ?? defaultAppOf(m) ?? nsOf(m) ?? m.metadata.name;
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const idOf = (kind: string, ns: string | undefined, name: string) => `${kind}/${ns ?? ''}/${name}`;

  const addObject = (m: Manifest) => {
    const category = CATEGORY[m.kind];
    if (!category) return;
    const lines = [withoutHash(m.metadata.name), ...details(m)];
    const id = idOf(m.kind, nsOf(m), m.metadata.name);
    nodes.set(id, { id, kind: m.kind, name: m.metadata.name, ...(nsOf(m) ? { namespace: nsOf(m)! } : {}), app: appOf(m), category, lines });
  };
  for (const m of manifests) addObject(m);

  /** The node of a referenced object; one that is not among the manifests is added as implied. */
  const ref = (kind: string, ns: string | undefined, name: string, app: string): string => {
    const exact = idOf(kind, ns, name);
    if (nodes.has(exact)) return exact;
    // A reference written before Kustomize added the hash suffix still means the generated object.
    const hashed = [...nodes.values()].find((n) => n.kind === kind && n.namespace === ns && withoutHash(n.name) === name);
    if (hashed) return hashed.id;
    nodes.set(exact, {
      id: exact,
      kind,
      name,
      ...(ns ? { namespace: ns } : {}),
      app,
      category: CATEGORY[kind] ?? 'peer',
      lines: [name],
      implied: true,
    });
    return exact;
  };
  const edge = (from: string, to: string, kind: EdgeKind, label?: string) => {
    // Pods of one workload talking to each other (replication) would only draw a loop on the node.
    if (from === to) return;
    const key = `${from}\u0000${to}\u0000${kind}`;
    const existing = edges.get(key);
    if (!existing) edges.set(key, { from, to, kind, ...(label ? { label } : {}) });
    else if (label && existing.label !== label) {
      const merged = [...new Set([...(existing.label ?? '').split(', '), ...label.split(', ')])].filter(Boolean).join(', ');
      edges.set(key, { ...existing, label: merged });
    }
  };

  const workloads = manifests.filter((m) => podTemplate(m) !== undefined);
  const podLabels = (m: Manifest) => (obj(obj(podTemplate(m)).metadata).labels ?? {}) as Record<string, string>;
  const services = manifests.filter((m) => m.kind === 'Service');

  // Ingress -> Service
  for (const m of manifests) {
    const app = appOf(m);
    const from = idOf(m.kind, nsOf(m), m.metadata.name);
    const spec = obj(m.spec);
    if (m.kind === 'Ingress') {
      const backends = [obj(spec.defaultBackend), ...arr(spec.rules).flatMap((r) => arr(obj(r.http).paths).map((p) => obj(p.backend)))];
      for (const b of backends) {
        const svc = obj(b.service);
        const name = str(svc.name);
        if (!name) continue;
        const port = obj(svc.port);
        edge(from, ref('Service', nsOf(m), name, app), 'routes', str(port.name) ?? (port.number !== undefined ? String(port.number) : undefined));
      }
    } else if (m.kind === 'IngressRoute' || m.kind === 'IngressRouteTCP') {
      for (const r of arr(spec.routes)) {
        for (const s of arr(r.services)) {
          const name = str(s.name);
          if (name && (s.kind === undefined || s.kind === 'Service'))
            edge(from, ref('Service', str(s.namespace) ?? nsOf(m), name, app), 'routes', s.port !== undefined ? String(s.port) : undefined);
        }
      }
    }
  }

  // Service -> workload by selector; a Service without one is backed by its own Endpoints.
  for (const s of services) {
    const from = idOf('Service', nsOf(s), s.metadata.name);
    const selector = obj(s.spec).selector as Record<string, string> | undefined;
    if (!selector || Object.keys(selector).length === 0) {
      const endpoints = manifests.find((m) => m.kind === 'Endpoints' && m.metadata.name === s.metadata.name && nsOf(m) === nsOf(s));
      if (endpoints) edge(from, idOf('Endpoints', nsOf(endpoints), endpoints.metadata.name), 'selects');
      continue;
    }
    for (const w of workloads) {
      if (nsOf(w) === nsOf(s) && matchesSelector({ matchLabels: selector }, podLabels(w)))
        edge(from, idOf(w.kind, nsOf(w), w.metadata.name), 'selects');
    }
  }

  // workload -> ConfigMap, Secret, PVC, ServiceAccount
  for (const w of workloads) {
    const app = appOf(w);
    const ns = nsOf(w);
    const from = idOf(w.kind, ns, w.metadata.name);
    const pod = obj(obj(podTemplate(w)).spec);
    const to = (kind: string, name: unknown, how: EdgeKind) => {
      const n = str(name);
      if (n) edge(from, ref(kind, ns, n, app), how);
    };
    to('ServiceAccount', pod.serviceAccountName, 'runs-as');
    for (const s of arr(pod.imagePullSecrets)) to('Secret', s.name, 'pulls-with');
    for (const v of arr(pod.volumes)) {
      to('ConfigMap', obj(v.configMap).name, 'mounts');
      to('Secret', obj(v.secret).secretName, 'mounts');
      to('PersistentVolumeClaim', obj(v.persistentVolumeClaim).claimName, 'claims');
      for (const source of arr(obj(v.projected).sources)) {
        to('ConfigMap', obj(source.configMap).name, 'mounts');
        to('Secret', obj(source.secret).name, 'mounts');
      }
    }
    for (const c of [...arr(pod.initContainers), ...arr(pod.containers)]) {
      for (const e of arr(c.envFrom)) {
        to('ConfigMap', obj(e.configMapRef).name, 'env');
        to('Secret', obj(e.secretRef).name, 'env');
      }
      for (const e of arr(c.env)) {
        const from = obj(e.valueFrom);
        to('ConfigMap', obj(from.configMapKeyRef).name, 'env');
        to('Secret', obj(from.secretKeyRef).name, 'env');
      }
    }
    // Each replica gets its own claim, named <template>-<statefulset>-<ordinal>: one node stands for all.
    for (const t of arr(obj(w.spec).volumeClaimTemplates)) {
      const name = str(obj(t.metadata).name);
      if (!name) continue;
      const id = idOf('PersistentVolumeClaim', ns, `${name}-${w.metadata.name}-*`);
      const size = str(obj(obj(obj(t.spec).resources).requests).storage);
      nodes.set(id, {
        id,
        kind: 'PersistentVolumeClaim',
        name: `${name}-${w.metadata.name}-*`,
        ...(ns ? { namespace: ns } : {}),
        app,
        category: 'storage',
        lines: [`${name} (per replica)`, ...(size ? [size] : [])],
      });
      edge(from, id, 'claims');
    }
  }

  // Autoscalers, monitors, external secrets
  for (const m of manifests) {
    const app = appOf(m);
    const ns = nsOf(m);
    const from = idOf(m.kind, ns, m.metadata.name);
    const spec = obj(m.spec);
    if (m.kind === 'HorizontalPodAutoscaler' || m.kind === 'ScaledObject') {
      const target = obj(spec.scaleTargetRef);
      const name = str(target.name);
      const range =
        m.kind === 'HorizontalPodAutoscaler' ? [spec.minReplicas ?? 1, spec.maxReplicas] : [spec.minReplicaCount ?? 0, spec.maxReplicaCount ?? 100];
      if (name) edge(from, ref(str(target.kind) ?? 'Deployment', ns, name, app), 'scales', `${String(range[0])}–${String(range[1])} replicas`);
    } else if (m.kind === 'ServiceMonitor') {
      const selector = obj(spec.selector) as LabelSelector;
      const nsSel = obj(spec.namespaceSelector);
      const inNs = (s: Manifest) =>
        nsSel.any === true || (Array.isArray(nsSel.matchNames) ? (nsSel.matchNames as string[]).includes(nsOf(s) ?? '') : nsOf(s) === ns);
      for (const s of services) {
        if (inNs(s) && matchesSelector(selector, s.metadata.labels ?? {}))
          edge(
            from,
            idOf('Service', nsOf(s), s.metadata.name),
            'monitors',
            arr(spec.endpoints)
              .map((e) => str(e.port) ?? str(e.targetPort))
              .filter(Boolean)
              .join(', ') || undefined,
          );
      }
    } else if (m.kind === 'PodMonitor') {
      const selector = obj(spec.selector) as LabelSelector;
      for (const w of workloads)
        if (nsOf(w) === ns && matchesSelector(selector, podLabels(w))) edge(from, idOf(w.kind, nsOf(w), w.metadata.name), 'monitors');
    } else if (m.kind === 'ExternalSecret') {
      const target = obj(spec.target);
      edge(from, ref('Secret', ns, str(target.name) ?? m.metadata.name, app), 'creates');
      const store = obj(spec.secretStoreRef);
      const storeKind = str(store.kind) ?? 'SecretStore';
      if (str(store.name)) edge(ref(storeKind, storeKind === 'ClusterSecretStore' ? undefined : ns, str(store.name)!, app), from, 'reads-from');
    }
  }

  const defaultDeny = new Map<string, ('Ingress' | 'Egress')[]>();
  if (options.networkPolicies !== false) networkPolicyEdges(manifests, { nsOf, appOf, idOf, podLabels, workloads, nodes, edge, defaultDeny });

  const sortedNodes = [...nodes.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const sortedEdges = [...edges.values()].sort((a, b) => (`${a.from} ${a.to} ${a.kind}` < `${b.from} ${b.to} ${b.kind}` ? -1 : 1));
  return { nodes: sortedNodes, edges: sortedEdges, defaultDeny };
}

function details(m: Manifest): string[] {
  const spec = obj(m.spec);
  if (m.kind === 'Ingress') {
    const hosts = [...new Set(arr(spec.rules).flatMap((r) => (str(r.host) ? [str(r.host)!] : [])))];
    return hosts.length > 2 ? [...hosts.slice(0, 2), `+${hosts.length - 2} more`] : hosts;
  }
  if (m.kind === 'Deployment' || m.kind === 'StatefulSet' || m.kind === 'ReplicaSet')
    return typeof spec.replicas === 'number' ? [`${spec.replicas} replica${spec.replicas === 1 ? '' : 's'}`] : [];
  if (m.kind === 'Service') {
    const type = str(spec.type);
    if (spec.clusterIP === 'None') return ['headless'];
    return type && type !== 'ClusterIP' ? [type] : [];
  }
  if (m.kind === 'PersistentVolumeClaim') {
    const size = str(obj(obj(spec.resources).requests).storage);
    return size ? [size] : [];
  }
  if (m.kind === 'Endpoints') {
    const ips = arr(m.subsets).flatMap((s) => arr(s.addresses).map((a) => str(a.ip) ?? ''));
    return ips.filter(Boolean).slice(0, 2);
  }
  return [];
}

interface PolicyContext {
  nsOf(m: Manifest): string | undefined;
  appOf(m: Manifest): string;
  idOf(kind: string, ns: string | undefined, name: string): string;
  podLabels(m: Manifest): Record<string, string>;
  workloads: readonly Manifest[];
  nodes: Map<string, GraphNode>;
  edge(from: string, to: string, kind: EdgeKind, label?: string): void;
  defaultDeny: Map<string, ('Ingress' | 'Egress')[]>;
}

/** Peer descriptions for the well-known cluster DNS pods, so the picture says "DNS" rather than a selector. */
function isDns(pod: LabelSelector): boolean {
  const l = pod.matchLabels ?? {};
  return l['k8s-app'] === 'kube-dns' || l['k8s-app'] === 'coredns' || l['app.kubernetes.io/name'] === 'coredns';
}

function networkPolicyEdges(manifests: readonly Manifest[], ctx: PolicyContext) {
  for (const p of manifests.filter((m) => m.kind === 'NetworkPolicy' && m.apiVersion === 'networking.k8s.io/v1')) {
    const ns = ctx.nsOf(p);
    const app = ctx.appOf(p);
    const spec = obj(p.spec);
    const selector = obj(spec.podSelector) as LabelSelector;
    const types = (Array.isArray(spec.policyTypes) ? spec.policyTypes : spec.egress ? ['Ingress', 'Egress'] : ['Ingress']) as (
      | 'Ingress'
      | 'Egress'
    )[];
    const ingress = arr(spec.ingress);
    const egress = arr(spec.egress);
    if (isEmptySelector(selector) && ns) {
      const denied = types.filter((t) => (t === 'Ingress' ? ingress : egress).length === 0);
      if (denied.length > 0) ctx.defaultDeny.set(ns, [...new Set([...(ctx.defaultDeny.get(ns) ?? []), ...denied])].sort());
    }
    const selected = ctx.workloads.filter((w) => ctx.nsOf(w) === ns && matchesSelector(selector, ctx.podLabels(w)));
    if (selected.length === 0) continue;

    /** The nodes a peer stands for: workloads of the graph when it selects them, else one peer node. */
    const peers = (peer: Obj | undefined): string[] => {
      const peerNode = (key: string, kind: string, lines: string[]) => {
        const id = `peer/${app}/${ns ?? ''}/${key}`;
        if (!ctx.nodes.has(id)) ctx.nodes.set(id, { id, kind, name: key, ...(ns ? { namespace: ns } : {}), app, category: 'peer', lines });
        return [id];
      };
      if (!peer) return peerNode('anywhere', 'Anywhere', ['any source or destination']);
      const block = obj(peer.ipBlock);
      if (str(block.cidr)) {
        const except = Array.isArray(block.except) ? (block.except as string[]) : [];
        const cidr = str(block.cidr)!;
        const anywhere = cidr === '0.0.0.0/0' || cidr === '::/0';
        return peerNode(`ip:${cidr}:${except.join(',')}`, anywhere ? 'Internet' : 'IPBlock', [
          cidr,
          ...(except.length > 0 ? [`except ${except.join(', ')}`] : []),
        ]);
      }
      const nsSel = peer.namespaceSelector === undefined ? undefined : (obj(peer.namespaceSelector) as LabelSelector);
      const podSel = peer.podSelector === undefined ? undefined : (obj(peer.podSelector) as LabelSelector);
      const nsName = nsSel?.matchLabels?.['kubernetes.io/metadata.name'];
      const nsText = nsSel ? (nsName ?? (isEmptySelector(nsSel) ? 'all namespaces' : `namespaces ${selectorText(nsSel)}`)) : ns;
      // Pods of the policy's own namespace (or of a namespace named exactly) that the graph contains.
      const inGraphNs = nsSel === undefined ? ns : nsName;
      if (podSel && inGraphNs !== undefined && !isEmptySelector(podSel)) {
        const matched = ctx.workloads.filter((w) => ctx.nsOf(w) === inGraphNs && matchesSelector(podSel, ctx.podLabels(w)));
        if (matched.length > 0) return matched.map((w) => ctx.idOf(w.kind, ctx.nsOf(w), w.metadata.name));
      }
      if (podSel && isDns(podSel))
        return peerNode(`dns:${nsText ?? ''}`, 'DNS', ['cluster DNS', `${nsText ?? ''}/${podSel.matchLabels?.['k8s-app'] ?? 'coredns'}`]);
      if (!podSel) return peerNode(`ns:${nsText ?? ''}`, 'Namespace', [nsText === ns ? `namespace ${ns ?? ''}` : (nsText ?? '')]);
      return peerNode(`pods:${nsText ?? ''}:${selectorText(podSel)}`, 'Pods', [
        isEmptySelector(podSel) ? 'all pods' : selectorText(podSel),
        `in ${nsText ?? ''}`,
      ]);
    };

    if (types.includes('Ingress')) {
      for (const rule of ingress) {
        const label = portsText(arr(rule.ports));
        const from = Array.isArray(rule.from) ? arr(rule.from) : [undefined];
        for (const peer of from)
          for (const source of peers(peer)) for (const w of selected) ctx.edge(source, ctx.idOf(w.kind, ns, w.metadata.name), 'allows', label);
      }
    }
    if (types.includes('Egress')) {
      for (const rule of egress) {
        const label = portsText(arr(rule.ports));
        const to = Array.isArray(rule.to) ? arr(rule.to) : [undefined];
        for (const peer of to)
          for (const target of peers(peer)) for (const w of selected) ctx.edge(ctx.idOf(w.kind, ns, w.metadata.name), target, 'allows', label);
      }
    }
  }
}
