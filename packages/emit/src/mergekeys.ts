import { listItemKeys, loadBuiltinSchema } from '@strata/schemas';
import type { MergeKeyLookup } from './derive.ts';

/**
 * The answers for built-in kinds, by kind and path: derive asks for the same few lists of every
 * object of every app and env, and finding the schema set and walking the schema again each time
 * was a fifth of derive. Only kinds whose schema loaded are remembered, so a schema set that appears
 * later in a long-lived process is still found.
 */
const known = new Map<string, readonly string[] | null>();

/**
 * Item keys as Kustomize knows them: from the Kubernetes schema for built-in kinds (null for a list
 * replaced whole), unknown (undefined) for custom resources, whose lists Kustomize guesses.
 */
export const schemaMergeKeys: MergeKeyLookup = (apiVersion, kind, path) => {
  const id = `${apiVersion}\0${kind}\0${path.join('\0')}`;
  const remembered = known.get(id);
  if (remembered !== undefined) return remembered;
  if (!loadBuiltinSchema(apiVersion, kind)) return undefined;
  const keys = listItemKeys(apiVersion, kind, path) ?? null;
  known.set(id, keys);
  return keys;
};
