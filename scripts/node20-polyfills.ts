// vitest 5 targets Node 22 and calls Map.groupBy and Object.groupBy, which Node 20 lacks.
type GroupBy = <K, T>(items: Iterable<T>, key: (item: T, index: number) => K) => Map<K, T[]>;

if (typeof (Map as unknown as { groupBy?: GroupBy }).groupBy !== 'function') {
  (Map as unknown as { groupBy: GroupBy }).groupBy = (items, key) => {
    const out = new Map();
    let i = 0;
    for (const item of items) {
      const k = key(item, i++);
      if (!out.has(k)) out.set(k, []);
      out.get(k).push(item);
    }
    return out;
  };
}
if (typeof (Object as unknown as { groupBy?: unknown }).groupBy !== 'function') {
  (Object as unknown as { groupBy: unknown }).groupBy = <T>(items: Iterable<T>, key: (item: T, index: number) => PropertyKey) =>
    Object.fromEntries((Map as unknown as { groupBy: GroupBy }).groupBy(items, key));
}
export {};
