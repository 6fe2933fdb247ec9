import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from '@strata/core';
import { distOf, Layout } from './layout.ts';

/** A built file of an env other than those a run was given, with its text as it is on disk now. */
export interface SiblingFile {
  readonly file: string;
  readonly env: Environment;
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
      yield { file, env, app: built.app, text };
    }
  }
}
