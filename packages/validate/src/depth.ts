/**
 * How deeply the checks read an object: the object itself is level 1, each map or list inside it one
 * more. kubectl and the API server read up to 10,000 levels, but the checks here walk objects on the
 * JavaScript stack, which overflows a few thousand levels down; no real object comes near either.
 */
export const MAX_DEPTH = 1000;

/** Where an object nests deeper than `limit` levels: the first fields of its deepest branch, and how deep that goes. */
export function tooDeep(object: unknown, limit = MAX_DEPTH): { path: (string | number)[]; depth: number } | undefined {
  if (!deeperThan(object, limit)) return undefined;
  // Iterative, unlike the other walks of an object: it must not overflow where they would.
  const stack: { value: object; depth: number; path: (string | number)[] }[] = [];
  if (object !== null && typeof object === 'object') stack.push({ value: object, depth: 1, path: [] });
  let deepest = { path: [] as (string | number)[], depth: 0 };
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (depth > deepest.depth) deepest = { path, depth };
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    // The path names the first three fields only: enough to find the branch, without a copy of a long one per level.
    for (const [k, v] of entries)
      if (v !== null && typeof v === 'object') stack.push({ value: v, depth: depth + 1, path: path.length < 3 ? [...path, k] : path });
  }
  return deepest.depth > limit ? deepest : undefined;
}

/** Whether a map or list nests more than `levels` levels: recursion no deeper than that, and cheap enough for every object. */
function deeperThan(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (levels === 0) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (deeperThan(v, levels - 1)) return true;
    return false;
  }
  for (const k in value) if (deeperThan((value as Record<string, unknown>)[k], levels - 1)) return true;
  return false;
}
