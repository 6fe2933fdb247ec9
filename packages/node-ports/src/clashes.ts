/** One thing an object asks for that an earlier object of the cluster holds. */
export interface Clash<T, A> {
  readonly item: T;
  readonly asked: A;
  readonly holder: T;
  readonly held: A;
}

/** The object that holds what another asks for, as a refusal names it: its namespace and name, and the file and line of its field. */
export interface Holder {
  readonly namespace?: string;
  readonly name?: string;
  readonly file: string;
  readonly line?: number;
}

/**
 * What is taken already when `items` (the objects of one cluster) are created one after another in
 * their order: the first to ask for a thing (a node port, a cluster IP, the place of the default
 * PriorityClass; `keyOf` names it) keeps it. An object refused is not created, so it holds nothing it
 * asked for. `askedOf` gives what an item asks for; `same` tells when a later item is the same object
 * again (applied as an update of it, so it takes nothing from itself). `report`: whether each taken
 * thing of a refused object is a clash (the server names every node port) or the first only.
 */
export function clashesInOrder<T, A>(
  items: readonly T[],
  askedOf: (item: T) => readonly A[],
  keyOf: (asked: A) => string,
  same: (a: T, b: T) => boolean,
  report: 'every' | 'first',
): Clash<T, A>[] {
  const holders = new Map<string, { holder: T; held: A }>();
  const clashes: Clash<T, A>[] = [];
  for (const item of items) {
    const asked = askedOf(item);
    const taken = asked.flatMap((a) => {
      const h = holders.get(keyOf(a));
      return h && !same(h.holder, item) ? [{ item, asked: a, ...h }] : [];
    });
    if (taken.length > 0) {
      clashes.push(...(report === 'every' ? taken : taken.slice(0, 1)));
      continue;
    }
    for (const a of asked) if (!holders.has(keyOf(a))) holders.set(keyOf(a), { holder: item, held: a });
  }
  return clashes;
}

/** Where a holder is, for a refusal of the object in `askerFile`: by its line alone in that same file, which the problem names already as typed. */
export function holderPlace(holder: Holder, askerFile?: string): string {
  if (holder.file === askerFile) return holder.line ? `line ${holder.line} of this file` : 'this file';
  return `${holder.file}${holder.line ? `:${holder.line}` : ''}`;
}
