import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPlainObject, type PolicySettings } from '@strata/core';
import { UsageError } from './errors.ts';
import { Layout } from './layout.ts';

/** Per-rule severities per env, as `strata.config.json` and an app's policy give them. */
export type SeveritySettings = NonNullable<PolicySettings['severity']>;

/**
 * `strata.config.json` as read: each section is checked by the package that owns it (the gitops
 * package checks `gitops`), so unknown sections are kept as they are.
 */
export interface ProjectConfig {
  readonly policy?: { readonly severity?: SeveritySettings };
  readonly gitops?: unknown;
  readonly kubernetes?: unknown;
  readonly [section: string]: unknown;
}

/**
 * Reads `<root>/strata.config.json`, the one reader of it; undefined when there is none. Not JSON,
 * or not an object, is a one-line error naming the file.
 */
export function readConfig(root: string): ProjectConfig | undefined {
  let text: string;
  try {
    text = readFileSync(join(root, Layout.configFile), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${Layout.configFile}: not valid JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw new UsageError(`${Layout.configFile}: must be a JSON object with sections such as "policy" and "gitops"`);
  return parsed as ProjectConfig;
}

/** The project-wide policy severities (`policy.severity`), empty when none are set. */
export function projectSeverity(root: string): SeveritySettings {
  return readConfig(root)?.policy?.severity ?? {};
}
