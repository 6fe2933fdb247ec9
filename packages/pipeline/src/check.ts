import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { ENVIRONMENTS, type Environment } from '@strata/core';
import { compareManifests, isGeneratedConfigMap, normalize, planChanges, type Mismatch } from '@strata/emit';
import { buildOverlays, parseBuild } from '@strata/kustomize';
import { planTree, type Selection } from './generate.ts';
import { unmatchedPatchTargets } from './targets.ts';

export interface Drift {
  readonly file: string;
  readonly kind: 'changed' | 'missing' | 'stale';
  readonly diff: string;
}

export interface CheckResult {
  readonly drift: Drift[];
  readonly roundTrip: (Mismatch & { overlay: string })[];
  /** `toolFailed`: kustomize itself failed (killed, unreadable answer), not the overlay. */
  readonly buildFailures: { overlay: string; error: string; toolFailed?: true }[];
  /** Target-selector patches that match nothing (Kustomize says nothing about them). */
  readonly unmatchedPatches: string[];
  /** App overlays built and compared. */
  readonly overlays: number;
  /** Whole-env roots (`overlays/<env>`) built. */
  readonly envRoots: number;
  readonly files: number;
}

/**
 * `strata check`: regenerates in memory and compares with the committed tree (drift), then builds
 * every overlay with the real kustomize and compares the result with the in-process render.
 */
export async function check(root: string, selection: Selection = {}): Promise<CheckResult> {
  const tree = await planTree(root, selection);
  const changes = planChanges(root, tree.files, tree.dirs);
  const drift: Drift[] = [];
  for (const file of changes.written) {
    const path = join(root, file);
    const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    drift.push({
      file,
      kind: before === undefined ? 'missing' : 'changed',
      diff: createTwoFilesPatch(`${file} (committed)`, `${file} (generated)`, before ?? '', tree.files.get(file)!, '', '', { context: 3 }),
    });
  }
  for (const file of changes.removed) {
    drift.push({ file, kind: 'stale', diff: `${file}: generated file that no app produces any more` });
  }

  const targets: { overlay: string; env: Environment; desired: ReturnType<typeof normalize>; generated: Set<string> }[] = [];
  for (const plan of tree.plans) {
    for (const env of selection.env ? [selection.env as Environment] : ENVIRONMENTS) {
      const desired = plan.desired[env];
      const generated = new Set(desired.filter(isGeneratedConfigMap).map((m) => m.metadata.name));
      targets.push({ overlay: `overlays/${env}/${plan.app}`, env, desired: normalize(desired, generated), generated });
    }
  }
  const envRoots = (selection.env ? [selection.env] : ENVIRONMENTS).map((e) => `overlays/${e}`);
  const built = await buildOverlays(root, [...targets.map((t) => t.overlay), ...envRoots]);
  const roundTrip: CheckResult['roundTrip'] = [];
  const buildFailures: CheckResult['buildFailures'] = [];
  const unmatchedPatches: string[] = [];
  built.forEach((r, i) => {
    if (!r.ok) {
      buildFailures.push({ overlay: r.overlay, error: r.error ?? 'failed', ...(r.toolFailed && { toolFailed: true }) });
      return;
    }
    const t = targets[i];
    if (!t) return; // a whole-env build: it only has to succeed
    const parsed = parseBuild(r.yaml, r.overlay);
    unmatchedPatches.push(...unmatchedPatchTargets(root, r.overlay, parsed));
    const actual = normalize(parsed, t.generated);
    for (const m of compareManifests(t.desired, actual, { expected: 'rendered', actual: 'kustomize build' })) {
      roundTrip.push({ ...m, overlay: t.overlay });
    }
  });
  return { drift, roundTrip, buildFailures, unmatchedPatches, overlays: targets.length, envRoots: envRoots.length, files: tree.files.size };
}
