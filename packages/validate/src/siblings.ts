import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isPlainObject, type Manifest } from '@strata/core';
import { distOf, Layout } from '@strata/project';

/** A built file of an env other than those a run was given, with its text as it is on disk now. */
export interface SiblingFile {
  readonly file: string;
  readonly app: string;
  readonly text: string;
}

/**
 * The other built files (`dist/<env>/<app>.yaml`, in name order) of the envs of `files`, each read
 * as it is: a run given one app's output judges what its cluster holds against every app of its
 * env. A file that cannot be read is passed over.
 */
export function* siblingFiles(root: string, files: readonly string[]): Generator<SiblingFile> {
  const given = new Set(files);
  for (const env of new Set(files.flatMap((f) => distOf(f)?.env ?? []))) {
    let names: string[];
    try {
      names = readdirSync(join(root, Layout.dist, env)).filter((f) => f.endsWith('.yaml'));
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const file = `${Layout.dist}/${env}/${name}`;
      const built = distOf(file);
      if (given.has(file) || !built) continue;
      let text: string;
      try {
        text = readFileSync(join(root, file), 'utf8');
      } catch {
        continue;
      }
      yield { file, app: built.app, text };
    }
  }
}

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
