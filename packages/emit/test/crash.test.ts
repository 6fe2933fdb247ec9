import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recover, type WritePhase } from '../src/index.ts';
import { bundleChild, seeded, startChild, untracked, versionOf, workspace } from './fixtures/harness.ts';
import { changesAB, treeFiles, type Version } from './fixtures/trees.ts';

// What each kill costs is mostly the tree: a writer process writing it, then git status, recovery and
// a full read of it. A quarter of the tree (a 250-file change that still rewrites, adds and removes
// whole folders) and 30 kills, half at a random moment and half at a random step of every phase,
// prove the same as 40 kills of a 1,000-file change did, at about a fifth of the time.
const TRIALS = 30;
const SCALE = 0.25;
const CHANGES = changesAB(SCALE);
const SEED = 20261203;

describe('a writer killed at any moment', () => {
  let script: string;
  let root: string;
  beforeAll(async () => {
    script = await bundleChild();
    root = workspace('a', SCALE);
  });
  afterAll(() => {
    rmSync(dirname(script), { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  it(`leaves a tree that recovery makes exactly old or exactly new, with nothing temporary left (${TRIALS} SIGKILLs of a ${CHANGES}-file change)`, async () => {
    const random = seeded(SEED);
    // How long one whole change takes here, so that timed kills land anywhere in it.
    const calibration = startChild(script, root, 'b', { scale: SCALE });
    const run = await calibration.ended;
    expect(run.code, run.stderr).toBe(0);
    const window = Math.max(30, Number(/done (\d+)/.exec(run.stdout)?.[1]) * 1.3);
    let current: Version = 'b';
    const treePaths = new Set([...treeFiles('a', SCALE).keys(), ...treeFiles('b', SCALE).keys()]);

    const figures = { trials: 0, timed: 0, atStep: 0, old: 0, new: 0, rolledForward: 0, rolledBack: 0, discarded: 0, nothingToDo: 0 };
    const phases: WritePhase[] = ['stage', 'commit', 'undo', 'finish'];
    for (let trial = 0; trial < TRIALS; trial++) {
      const target: Version = current === 'a' ? 'b' : 'a';
      const changes = CHANGES;
      // Half the kills come from outside at a random moment; half stop the writer at a random
      // point of its own (staging, the steps in the tree, undoing a failed change, cleaning up).
      const timed = trial % 2 === 0;
      let expectedAfter: Version | undefined;
      let options: object = { scale: SCALE };
      if (!timed) {
        const phase = phases[Math.floor(random() * phases.length)]!;
        const step = phase === 'finish' ? 0 : Math.floor(random() * (phase === 'stage' ? changes + 1 : changes));
        if (phase === 'undo') options = { scale: SCALE, failAt: Math.floor(random() * changes), killAt: { phase, step } };
        else options = { scale: SCALE, killAt: { phase, step } };
        expectedAfter = phase === 'stage' || phase === 'undo' ? current : target;
      }
      const child = startChild(script, root, target, options);
      const delay = random() * window;
      if (timed) {
        await child.ready;
        setTimeout(() => child.process.kill('SIGKILL'), delay);
      }
      const end = await child.ended;
      const where = `trial ${trial} (${timed ? `killed after ${delay.toFixed(0)} ms` : JSON.stringify(options)}), ${current} -> ${target}`;
      if (end.signal !== 'SIGKILL') expect(end.code, `${where}: ${end.stderr}`).toBe(0);

      // Meanwhile git has nothing new to offer but the tree's own files.
      expect(
        untracked(root).filter((p) => !treePaths.has(p)),
        where,
      ).toStrictEqual([]);

      const r = recover(root);
      expect(r.busy, where).toBeUndefined();
      const now = versionOf(root, [current, target], SCALE);
      expect(now, `${where}: the tree is neither all old nor all new`).toBeDefined();
      if (expectedAfter) expect(now, where).toBe(expectedAfter);
      expect(existsSync(join(root, '.strata/write')), where).toBe(false);

      figures.trials++;
      figures[timed ? 'timed' : 'atStep']++;
      figures[now === target ? 'new' : 'old']++;
      figures.rolledForward += r.rolledForward;
      figures.rolledBack += r.rolledBack;
      figures.discarded += r.discarded;
      if (r.rolledForward + r.rolledBack + r.discarded === 0) figures.nothingToDo++;
      current = now!;
      if (process.env.STRATA_TEST_TRACE) console.info(`${where}: ${now === target ? 'new' : 'old'} ${JSON.stringify(r)}`);
    }
    console.info(
      `kill loop (seed ${SEED}): ${figures.trials} SIGKILLs of a ${CHANGES}-file change (${figures.timed} at a random moment, ${figures.atStep} at a random step); ` +
        `after recovery ${figures.new} all new, ${figures.old} all old, 0 mixed; recovery rolled ${figures.rolledForward} forward, ${figures.rolledBack} back, ` +
        `dropped ${figures.discarded} without a journal (killed while staging, or while cleaning up after the last step), found ${figures.nothingToDo} with nothing to do`,
    );
    expect(untracked(root).filter((p) => !treePaths.has(p))).toStrictEqual([]);
    expect(figures.rolledForward).toBeGreaterThan(0);
    expect(figures.rolledBack + figures.discarded).toBeGreaterThan(0);
  }, 300_000);
});
