import { describe, expect, it } from 'vitest';
import { appDirs } from '@strata/project';
import { check } from '../src/index.ts';
import { repo } from '@strata/testing/workspace';

// `strata check` on the repository itself: the committed tree is what the code generates, and every
// overlay builds back, with the real kustomize, to exactly what the code renders.
describe('the committed tree', () => {
  it('has every app of apps/', () => {
    expect(appDirs(repo).length).toBeGreaterThanOrEqual(1);
  });
  it('is in sync with the code and round-trips through kustomize build', async () => {
    const r = await check(repo);
    expect(r.buildFailures).toStrictEqual([]);
    expect(r.drift.map((d) => d.diff)).toStrictEqual([]);
    expect(r.roundTrip.map((m) => `${m.overlay}: ${m.diff}`)).toStrictEqual([]);
    expect(r.overlays).toBe(appDirs(repo).length * 3);
    expect(r.envRoots).toBe(3);
  });
});
