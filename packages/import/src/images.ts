import { describe, ENVIRONMENTS } from '@strata/core';
import { rules } from '@strata/policy';
import { ImportError } from './errors.ts';
import type { SourceSet } from './sources.ts';

const rule = rules.find((r) => r.id === 'valid-image-reference')!;

/** `spec.containers[0].image` as segments: `['spec', 'containers', 0, 'image']`. */
const segments = (path: string): (string | number)[] =>
  path.split('.').flatMap((part) => [...part.matchAll(/([^[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!)));

/**
 * Refuses an image that the container runtime cannot parse (`app:3.2.0:3.1.0`, a short digest), in
 * any container of any env: the app would render it into every overlay, and each pod would fail
 * with InvalidImageName. One line each, at the `images:` entry that made it or the resource that
 * writes it; an image several envs share is named once.
 */
export async function refuseInvalidImages(sources: SourceSet): Promise<void> {
  const lines = new Set<string>();
  for (const env of ENVIRONMENTS) {
    const objects = sources.objects[env].map((manifest) => ({ manifest, file: '' }));
    for (const f of rule.check(objects, { env })) {
      const i = objects.indexOf(f.object as (typeof objects)[number]);
      const at = await sources.where(env, i, f.path === undefined ? undefined : segments(f.path));
      lines.add(`${at}: ${describe(f.object.manifest)}: ${f.path ?? ''}: ${f.message.replace(/\.$/, '')} there, then import; nothing was written`);
    }
  }
  if (lines.size > 0) throw new ImportError([...lines]);
}
