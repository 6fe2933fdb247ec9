import { listItemKeys, loadBuiltinSchema } from '@strata/schemas';
import type { MergeKeyLookup } from './derive.ts';

/**
 * Item keys as Kustomize knows them: from the Kubernetes schema for built-in kinds (null for a list
 * replaced whole), unknown (undefined) for custom resources, whose lists Kustomize guesses.
 */
export const schemaMergeKeys: MergeKeyLookup = (apiVersion, kind, path) => {
  if (!loadBuiltinSchema(apiVersion, kind)) return undefined;
  return listItemKeys(apiVersion, kind, path) ?? null;
};
