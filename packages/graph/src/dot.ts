import { instance, type Viz } from '@viz-js/viz';
import { ToolError } from '@strata/project';
import { ALLOW_COLOUR, CATEGORY_ORDER, CATEGORY_STYLE, EDGE_COLOUR, groups } from './style.ts';
import type { GraphNode, Topology } from './topology.ts';

export interface DrawOptions {
  /** A heading above the picture. */
  readonly title?: string;
  /** Draw the legend. @default true */
  readonly legend?: boolean;
}

const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const quoted = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
// Graphviz sizes boxes from its own metrics of Arial; a list of fonts would fall back to Times metrics.
const FONT = 'Arial';

function nodeLabel(n: GraphNode): string {
  const [name, ...rest] = n.lines;
  const kind = n.implied ? `${n.kind} (made at run time)` : n.kind;
  const parts = [
    `<font point-size="9" color="#4a4a4a">${html(kind)}</font>`,
    `<b>${html(name ?? n.name)}</b>`,
    ...rest.map((l) => `<font point-size="9">${html(l)}</font>`),
  ];
  return `<${parts.join('<br/>')}>`;
}

function legend(graph: Topology): string {
  const present = CATEGORY_ORDER.filter((c) => graph.nodes.some((n) => n.category === c));
  const rows = present.map((c) => {
    const s = CATEGORY_STYLE[c];
    return `<tr><td bgcolor="${s.fill}" border="1" color="${s.stroke}" width="18"> </td><td align="left">${html(s.title)}</td></tr>`;
  });
  rows.push(`<tr><td><font color="${EDGE_COLOUR}">──▶</font></td><td align="left">routes, selects, mounts, scales, …</td></tr>`);
  if (graph.edges.some((e) => e.kind === 'allows'))
    rows.push(
      `<tr><td><font color="${ALLOW_COLOUR}">╌╌▶</font></td><td align="left"><font color="${ALLOW_COLOUR}">NetworkPolicy allows (ports)</font></td></tr>`,
    );
  if (graph.nodes.some((n) => n.implied)) rows.push(`<tr><td>┆┆</td><td align="left">dashed border: made at run time or outside the app</td></tr>`);
  if (graph.nodes.some((n) => n.count)) rows.push(`<tr><td>▣</td><td align="left">double border: several alike objects (×N)</td></tr>`);
  return `<<table border="0" cellborder="0" cellspacing="3" cellpadding="2"><tr><td colspan="2" align="left"><b>Legend</b></td></tr>${rows.join('')}</table>>`;
}

/** Graphviz DOT text of a topology: left to right, one cluster per app and namespace, coloured by kind. */
export function toDot(graph: Topology, options: DrawOptions = {}): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const out: string[] = [
    'digraph topology {',
    `  graph [rankdir=LR, newrank=true, compound=true, fontname=${quoted(FONT)}, fontsize=12, nodesep=0.2, ranksep=0.55, pad=0.3, bgcolor="white"${options.title ? `, label=<<b>${html(options.title)}</b>>, labelloc=t, labeljust=l, fontsize=18` : ''}];`,
    `  node [shape=box, style="rounded,filled", fontname=${quoted(FONT)}, fontsize=11, margin="0.12,0.05", penwidth=1.3];`,
    `  edge [fontname=${quoted(FONT)}, fontsize=9, color=${quoted(EDGE_COLOUR)}, arrowsize=0.6, penwidth=1.1];`,
  ];
  groups(graph.nodes).forEach((g, i) => {
    const deny = g.namespace ? graph.defaultDeny.get(g.namespace) : undefined;
    const where = g.namespace ? `namespace ${g.namespace}` : 'cluster-scoped';
    const note =
      deny && deny.length > 0 ? `<font point-size="10" color="${ALLOW_COLOUR}">  ·  default deny: ${deny.join(' + ').toLowerCase()}</font>` : '';
    out.push(`  subgraph cluster_${i} {`);
    out.push(
      `    graph [label=<<b>${html(g.app)}</b><br align="left"/><font point-size="10" color="#555555">${html(where)}</font>${note}<br align="left"/>>, labeljust=l, style="rounded,filled", fillcolor="#f7f8fa", color="#b8bec6", fontsize=13, margin=12];`,
    );
    for (const n of g.nodes) {
      const s = CATEGORY_STYLE[n.category];
      const dashed = n.implied || n.category === 'peer';
      // A stacked look (double border) says "several alike objects" before the label is read.
      const extra = `${dashed ? ', style="rounded,filled,dashed"' : ''}${n.count ? ', peripheries=2' : ''}`;
      out.push(
        `    ${ids.get(n.id)} [label=${nodeLabel(n)}, fillcolor=${quoted(s.fill)}, color=${quoted(s.stroke)}${extra}, tooltip=${quoted(n.id)}];`,
      );
    }
    out.push('  }');
  });
  for (const e of graph.edges) {
    const from = ids.get(e.from);
    const to = ids.get(e.to);
    if (!from || !to) continue;
    const attrs = e.kind === 'allows' ? [`style=dashed`, `color=${quoted(ALLOW_COLOUR)}`, `fontcolor=${quoted(ALLOW_COLOUR)}`] : [];
    if (e.label) attrs.push(`label=${quoted(e.label)}`);
    attrs.push(`tooltip=${quoted(`${e.kind}`)}`);
    out.push(`  ${from} -> ${to} [${attrs.join(', ')}];`);
  }
  if (options.legend !== false && graph.nodes.length > 0) {
    out.push(
      '  subgraph cluster_legend {',
      '    graph [label="", style="rounded", color="#d0d4d9", margin=8];',
      `    legend [shape=plaintext, style="", label=${legend(graph)}];`,
      '  }',
    );
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

let viz: Promise<Viz> | undefined;

/** Renders a topology as SVG with Graphviz compiled to WebAssembly: no browser, no network. */
export async function toSvg(graph: Topology, options: DrawOptions = {}): Promise<string> {
  viz ??= instance();
  const result = (await viz).render(toDot(graph, options), { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') throw new ToolError(`graphviz could not lay out the topology: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.output;
}
