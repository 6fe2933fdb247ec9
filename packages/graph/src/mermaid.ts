import { CATEGORY_STYLE } from './style.ts';
import { groups } from './style.ts';
import type { NodeCategory, Topology } from './topology.ts';

// Mermaid reads `"` and `#` specially inside labels; its own entity codes keep them literal.
const text = (s: string) => s.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
const className = (c: NodeCategory) => c.replace(/-/g, '_');

/** Mermaid flowchart text of a topology: subgraphs per app and namespace, NetworkPolicy edges dotted. */
export function toMermaid(graph: Topology): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const out = ['flowchart LR'];
  groups(graph.nodes).forEach((g, i) => {
    const deny = g.namespace ? graph.defaultDeny.get(g.namespace) : undefined;
    const title = `${g.app} · ${g.namespace ? `namespace ${g.namespace}` : 'cluster-scoped'}${deny?.length ? ` · default deny ${deny.join('+').toLowerCase()}` : ''}`;
    out.push(`  subgraph g${i}["${text(title)}"]`);
    for (const n of g.nodes) {
      const label = [n.implied ? `${n.kind} (made at run time)` : n.kind, ...n.lines].map(text).join('<br/>');
      out.push(`    ${ids.get(n.id)}["${label}"]:::${className(n.category)}`);
    }
    out.push('  end');
  });
  for (const e of graph.edges) {
    const from = ids.get(e.from);
    const to = ids.get(e.to);
    if (!from || !to) continue;
    const label = e.label ? `|"${text(e.label)}"|` : '';
    out.push(`  ${from} ${e.kind === 'allows' ? '-.->' : '-->'}${label} ${to}`);
  }
  for (const [category, s] of Object.entries(CATEGORY_STYLE) as [NodeCategory, (typeof CATEGORY_STYLE)[NodeCategory]][]) {
    out.push(
      `  classDef ${className(category)} fill:${s.fill},stroke:${s.stroke},color:#1a1a1a${category === 'peer' ? ',stroke-dasharray:4 3' : ''}`,
    );
  }
  // Mermaid numbers links in the order written: style the NetworkPolicy ones apart.
  const allows = graph.edges.filter((e) => ids.has(e.from) && ids.has(e.to)).flatMap((e, i) => (e.kind === 'allows' ? [i] : []));
  if (allows.length > 0) out.push(`  linkStyle ${allows.join(',')} stroke:#c4422b,color:#c4422b`);
  return `${out.join('\n')}\n`;
}
