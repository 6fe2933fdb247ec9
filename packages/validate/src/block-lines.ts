/**
 * The line of a field in an object as kustomize writes built output: block style, each key at its
 * parent's indentation plus two, sequence items (`- `) at their key's own indentation or two further,
 * no flow collections on the way. Undefined whenever the text is written any other way (a key quoted,
 * a flow collection, a document inside a List), and the caller's YAML parse decides: built output
 * holds thousands of objects, and parsing each one again for the line of one field costs seconds.
 *
 * `lines` is the file's text split on line feeds; `start` is the object's first line (1-based),
 * at the top level of its document; the answer is 1-based.
 */
export function blockLine(lines: readonly string[], start: number, path: readonly (string | number)[]): number | undefined {
  const first = lines[start - 1];
  if (first === undefined || first.startsWith(' ') || first.startsWith('-')) return undefined; // not at the top level
  // The node being searched: its lines [from, to) and the indentation of its keys.
  let from = start - 1;
  let to = documentEnd(lines, from);
  let indent = 0;
  let at = -1;
  for (const segment of path) {
    if (typeof segment === 'string') {
      at = keyIn(lines, from, to, indent, segment);
      if (at < 0) return undefined;
      from = at + 1;
      to = blockEnd(lines, from, to, indent);
      indent += 2;
    } else {
      // Items at the key's own indentation (kustomize's) or two further.
      const items = itemsIn(lines, from, to, indent - 2) ?? itemsIn(lines, from, to, indent);
      if (!items || segment >= items.starts.length) return undefined;
      at = items.starts[segment]!;
      // The item's keys: the first on the item's own line, after "- ".
      from = at;
      to = items.starts[segment + 1] ?? items.end;
      indent = items.indent + 2;
    }
  }
  return at < 0 ? undefined : at + 1;
}

const spaces = (line: string) => {
  let n = 0;
  while (n < line.length && line[n] === ' ') n++;
  return n;
};
const blank = (line: string) => line.trim() === '' || line.trimStart().startsWith('#');

/** The line after the object's last: the next document marker or the end of the text. */
function documentEnd(lines: readonly string[], from: number): number {
  for (let i = from + 1; i < lines.length; i++) if (lines[i]!.startsWith('---') || lines[i]!.startsWith('...')) return i;
  return lines.length;
}

/** The line of `key:` among the keys at `indent` of [from, to), the first of them possibly after an item's "- "; -1 when absent. */
function keyIn(lines: readonly string[], from: number, to: number, indent: number, key: string): number {
  if (!/^[A-Za-z0-9_$][A-Za-z0-9_.$/-]*$/.test(key)) return -1; // a key that may be written quoted
  for (let i = from; i < to; i++) {
    const line = lines[i]!;
    if (blank(line)) continue;
    const own = spaces(line);
    const item = own === indent - 2 && line.startsWith('- ', own);
    if (own !== indent && !item) continue;
    if (line.startsWith(`${key}:`, indent) && (line.length === indent + key.length + 1 || line[indent + key.length + 1] === ' ')) return i;
  }
  return -1;
}

/** The end of the block value of a key at `indent`: the first line, not blank, indented as little, that is not one of its items. */
function blockEnd(lines: readonly string[], from: number, to: number, indent: number): number {
  for (let i = from; i < to; i++) {
    const line = lines[i]!;
    if (blank(line)) continue;
    const own = spaces(line);
    if (own < indent || (own === indent && !line.startsWith('- ', own))) return i;
  }
  return to;
}

/** The lines where the items of a sequence at `indent` start in [from, to), or undefined when its first line is no item there. */
function itemsIn(lines: readonly string[], from: number, to: number, indent: number): { starts: number[]; end: number; indent: number } | undefined {
  if (indent < 0) return undefined;
  const starts: number[] = [];
  let i = from;
  for (; i < to; i++) {
    const line = lines[i]!;
    if (blank(line)) continue;
    const own = spaces(line);
    if (own < indent) break;
    if (own === indent) {
      if (!line.startsWith('- ', own) || line.startsWith('- - ', own)) return starts.length > 0 ? { starts, end: i, indent } : undefined;
      starts.push(i);
    } else if (starts.length === 0) return undefined;
  }
  return starts.length > 0 ? { starts, end: i, indent } : undefined;
}
