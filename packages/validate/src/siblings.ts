import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isPlainObject, type Manifest } from '@strata/core';

/** The objects of a sibling's text as a YAML reader makes them out, or undefined when it is no YAML (validating that file says why). */
export function siblingObjects(text: string): Manifest[] | undefined {
  let values: unknown[];
  try {
    values = loadAll(text, undefined, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  return values.filter(
    (v): v is Manifest => isPlainObject(v) && isPlainObject(v.metadata) && typeof v.kind === 'string' && typeof v.apiVersion === 'string',
  );
}
