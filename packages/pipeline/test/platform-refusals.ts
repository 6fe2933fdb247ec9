import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Problem } from '@strata/project';
import { expect } from 'vitest';
import { pipeline } from '../src/index.ts';

/**
 * The no-platform-namespace refusals of a pipeline run of the workspace at `root`, which must build
 * every overlay; each one's line checked against the built file (the Namespace's name, or the
 * object's namespace).
 */
export async function platformRefusals(root: string): Promise<Problem[]> {
  const r = await pipeline(root);
  expect(r.built.failed).toBe(0);
  const found = r.problems.filter((p) => p.rule === 'no-platform-namespace');
  for (const p of found) {
    const line = readFileSync(join(root, p.file), 'utf8').split('\n')[p.line! - 1];
    expect(line?.trim()).toBe(p.kind === 'Namespace' ? `name: ${p.name}` : `namespace: ${p.namespace}`);
  }
  return found;
}
