import type { EdgeKind, GraphNode, NodeCategory } from './topology.ts';

export interface CategoryStyle {
  readonly fill: string;
  readonly stroke: string;
  /** Legend text. */
  readonly title: string;
}

/** One colour per category, light fills with dark borders so the black text stays readable. */
export const CATEGORY_STYLE: Readonly<Record<NodeCategory, CategoryStyle>> = {
  ingress: { fill: '#ffe3c2', stroke: '#d9730d', title: 'Ingress' },
  service: { fill: '#c9f0ee', stroke: '#138a82', title: 'Service' },
  workload: { fill: '#d4e2ff', stroke: '#2c55c7', title: 'Workload' },
  config: { fill: '#e6f4cf', stroke: '#5f8f12', title: 'ConfigMap' },
  secret: { fill: '#fcd8e1', stroke: '#c01f4f', title: 'Secret' },
  storage: { fill: '#eadcf8', stroke: '#7a3db8', title: 'Volume claim' },
  identity: { fill: '#ececec', stroke: '#6b6b6b', title: 'ServiceAccount' },
  scaler: { fill: '#fff1b8', stroke: '#a67c00', title: 'Autoscaler' },
  monitor: { fill: '#dcf1dc', stroke: '#2f7d32', title: 'Monitor' },
  'secret-source': { fill: '#f6dcf0', stroke: '#9c1f7c', title: 'ExternalSecret / store' },
  peer: { fill: '#ffffff', stroke: '#8a8a8a', title: 'Outside peer (NetworkPolicy)' },
};

/** NetworkPolicy allowances stand apart from references: dashed and red. */
export const ALLOW_COLOUR = '#c4422b';
export const EDGE_COLOUR = '#5c6670';

export const EDGE_VERB: Readonly<Record<EdgeKind, string>> = {
  routes: 'routes to',
  selects: 'selects',
  mounts: 'mounts',
  env: 'env from',
  'runs-as': 'runs as',
  'pulls-with': 'pulls with',
  claims: 'claims',
  scales: 'scales',
  monitors: 'scrapes',
  creates: 'creates',
  'reads-from': 'feeds',
  allows: 'allowed',
};

/** The order categories appear in the legend, following the flow left to right. */
export const CATEGORY_ORDER: readonly NodeCategory[] = [
  'ingress',
  'service',
  'workload',
  'scaler',
  'monitor',
  'config',
  'secret',
  'secret-source',
  'storage',
  'identity',
  'peer',
];

/** Nodes grouped by application and namespace, in a stable order. */
export function groups(nodes: readonly GraphNode[]): { app: string; namespace: string | undefined; nodes: GraphNode[] }[] {
  const map = new Map<string, { app: string; namespace: string | undefined; nodes: GraphNode[] }>();
  for (const n of nodes) {
    const key = `${n.app}\u0000${n.namespace ?? ''}`;
    const g = map.get(key) ?? { app: n.app, namespace: n.namespace, nodes: [] };
    g.nodes.push(n);
    map.set(key, g);
  }
  return [...map.values()].sort((a, b) => (a.app === b.app ? (a.namespace ?? '').localeCompare(b.namespace ?? '') : a.app.localeCompare(b.app)));
}
