import type { GraphEdge, GraphNode, Topology } from './topology.ts';

/** `gethrelay-default-{1,2,3}` for names that differ only at the end, else the first names and a count. */
export function compactNames(names: readonly string[]): string {
  const sorted = [...names].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  let prefix = sorted[0] ?? '';
  for (const n of sorted) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const rests = sorted.map((n) => n.slice(prefix.length));
  if (prefix.length >= 3 && rests.every((r) => r.length > 0) && rests.join(',').length <= 40) return `${prefix}{${rests.join(',')}}`;
  if (prefix.length >= 3) return `${prefix}*`;
  return `${sorted[0]}, +${sorted.length - 1} more`;
}

/**
 * Merges nodes that play the same part into one node per group: same app, namespace and kind, and
 * edges of the same kinds and labels to the same groups (the coarsest such partition, found by
 * refinement). Ten identical relay Deployments, each with its own Service, become one Deployment
 * "×10" behind one Service "×10", and the NetworkPolicy mesh among them one loop instead of ninety
 * edges. Groups smaller than `minGroup` stay as they are, so pairs (a primary and its replica) keep
 * their own names.
 */
export function collapseSimilar(graph: Topology, minGroup = 3): Topology {
  const base = (n: GraphNode) =>
    `${n.app}\u0000${n.namespace ?? ''}\u0000${n.kind}\u0000${n.category}\u0000${n.implied ? 1 : 0}${n.category === 'peer' ? `\u0000${n.id}` : ''}`;
  let cls = new Map(graph.nodes.map((n) => [n.id, base(n)]));
  let count = new Set(cls.values()).size;
  for (;;) {
    const signature = new Map<string, Set<string>>(graph.nodes.map((n) => [n.id, new Set<string>()]));
    for (const e of graph.edges) {
      signature.get(e.from)?.add(`>${e.kind}:${e.label ?? ''}:${cls.get(e.to)}`);
      signature.get(e.to)?.add(`<${e.kind}:${e.label ?? ''}:${cls.get(e.from)}`);
    }
    const next = new Map(graph.nodes.map((n) => [n.id, `${cls.get(n.id)}\u0001${[...signature.get(n.id)!].sort().join('\u0002')}`]));
    const nextCount = new Set(next.values()).size;
    cls = next;
    if (nextCount === count) break;
    count = nextCount;
  }
  const members = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) members.set(cls.get(n.id)!, [...(members.get(cls.get(n.id)!) ?? []), n]);
  const representative = new Map<string, string>();
  const nodes: GraphNode[] = [];
  for (const group of members.values()) {
    if (group.length < minGroup) {
      for (const n of group) {
        representative.set(n.id, n.id);
        nodes.push(n);
      }
      continue;
    }
    const first = group[0]!;
    const id = `group/${first.id}`;
    for (const n of group) representative.set(n.id, id);
    // Details shared by every member (a replica count, a size) are kept; the others would mislead.
    const shared = first.lines.slice(1).filter((l, i) => group.every((n) => n.lines[i + 1] === l));
    nodes.push({
      ...first,
      id,
      name: group.map((n) => n.name).join(','),
      lines: [compactNames(group.map((n) => n.lines[0] ?? n.name)), `×${group.length}${shared.length ? ` · ${shared.join(', ')} each` : ''}`],
      count: group.length,
    });
  }
  const edges = new Map<string, GraphEdge>();
  for (const e of graph.edges) {
    const from = representative.get(e.from)!;
    const to = representative.get(e.to)!;
    // Within a group only the NetworkPolicy mesh means something: "they may talk to each other".
    if (from === to && e.kind !== 'allows') continue;
    const key = `${from}\u0000${to}\u0000${e.kind}\u0000${e.label ?? ''}`;
    if (!edges.has(key)) edges.set(key, { ...e, from, to });
  }
  return {
    nodes: nodes.sort((a, b) => (a.id < b.id ? -1 : 1)),
    edges: [...edges.values()].sort((a, b) => (`${a.from} ${a.to} ${a.kind}` < `${b.from} ${b.to} ${b.kind}` ? -1 : 1)),
    defaultDeny: graph.defaultDeny,
  };
}
