import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Problem } from '@strata/project';
import { ensureHelper } from '@strata/server-validation';
import { verify, verifyDocuments } from '@strata/verify';
import { BUILD_TIMEOUT, hookConfigMap, hookJob, namePrefix, repoWithServer } from '../../verify/test/helpers.ts';
import { parseInputs, validate } from '../src/index.ts';

/**
 * Hooks that have only a generateName, which Argo CD names itself: the offline verdicts of
 * `validate` (the pipeline's too) against those of `verify`, whose API server is real. Argo CD makes
 * the name from the whole generateName and 23 to 27 characters more, so the corpus holds each kind of
 * limit just within and just past it; every refusal must be the same, at the same line, in the same words.
 */

const HOOK = 'argocd.argoproj.io/hook';
const HELM = 'helm.sh/hook';

const service = (generateName: string, annotations: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { generateName, namespace: 'hook-names', annotations },
  spec: { selector: { app: 'hook' }, ports: [{ name: 'http', port: 80 }] },
});

// A Job's name is at most 63 characters (its Pods carry it in a label), a Service's 63 (a DNS label),
// a ConfigMap's 253. Argo CD adds 7 characters of revision, "-<phase>-" and 10 digits of Unix time:
// 23 more for Sync, 26 for PreSync, 27 for PostSync and SyncFail; a hook of several phases is named
// once per phase. A delete hook is named by the server: 58 characters of its generateName and 5 more.
const CASES = {
  presyncUnder: hookJob(namePrefix(37), { [HOOK]: 'PreSync' }),
  presyncOver: hookJob(namePrefix(38), { [HOOK]: 'PreSync' }),
  syncUnder: hookJob(namePrefix(40), { [HOOK]: 'Sync' }),
  syncOver: hookJob(namePrefix(41), { [HOOK]: 'Sync' }),
  postsyncUnder: hookJob(namePrefix(36), { [HOOK]: 'PostSync' }),
  postsyncOver: hookJob(namePrefix(37), { [HOOK]: 'PostSync' }),
  syncfailUnder: hookJob(namePrefix(36), { [HOOK]: 'SyncFail' }),
  syncfailOver: hookJob(namePrefix(37), { [HOOK]: 'SyncFail' }),
  bothUnder: hookJob(namePrefix(36), { [HOOK]: 'PreSync,PostSync' }),
  bothOver: hookJob(namePrefix(37), { [HOOK]: 'PreSync,PostSync' }),
  helmUnder: hookJob(namePrefix(37), { [HELM]: 'pre-install' }),
  helmOver: hookJob(namePrefix(38), { [HELM]: 'pre-install,pre-upgrade' }),
  helmPostOver: hookJob(namePrefix(37), { [HELM]: 'post-upgrade' }),
  serviceUnder: service(namePrefix(37), { [HOOK]: 'PreSync' }),
  serviceOver: service(namePrefix(38), { [HOOK]: 'PreSync' }),
  configMapUnder: hookConfigMap(namePrefix(227), { [HOOK]: 'PreSync' }),
  configMapOver: hookConfigMap(namePrefix(228), { [HOOK]: 'PreSync' }),
  deleteHook: hookJob(namePrefix(60), { [HOOK]: 'PostDelete' }),
  helmDeleteHook: hookConfigMap(namePrefix(240), { [HELM]: 'post-delete' }),
};
const TEXT = Object.values(CASES)
  .map((o) => stringify(o))
  .join('---\n');

/** The errors of a run, as comparable rows; the rule apart (the server field checks offline, the server's own refusal in verify). */
const errors = (problems: readonly Problem[]) =>
  problems.filter((p) => p.severity === 'error').map((p) => [p.file, p.line, p.namespace, p.name, p.path, p.message]);

const live = repoWithServer({ 'dev/hooks': Object.values(CASES) }, ensureHelper);

describe('a hook named by its generateName, offline and on the real API server', () => {
  it(
    'refuses the same hooks at the same lines in the same words as verify, under the name Argo CD gives them',
    async () => {
      const { repo, server } = live;
      writeFileSync(join(repo, 'hooks.yaml'), TEXT);
      const offline = await validate(repo, ['hooks.yaml'], { policy: false });
      // As `strata verify` of named files reads them.
      const real = await verifyDocuments((await parseInputs(repo, ['hooks.yaml'])).docs, { server, root: repo });
      expect(errors(offline.problems)).toStrictEqual(errors(real.problems));
      // The corpus is judged, not merely agreed upon: every hook just past its limit, and no other.
      expect(offline.problems.map((p) => [p.name, p.path, p.rule])).toStrictEqual([
        [`${namePrefix(38)}*`, 'spec.template.labels', 'server-validation'],
        [`${namePrefix(41)}*`, 'spec.template.labels', 'server-validation'],
        [`${namePrefix(37)}*`, 'spec.template.labels', 'server-validation'],
        [`${namePrefix(37)}*`, 'spec.template.labels', 'server-validation'],
        [`${namePrefix(37)}*`, 'spec.template.labels', 'server-validation'],
        [`${namePrefix(38)}*`, 'spec.template.labels', 'server-validation'],
        [`${namePrefix(37)}*`, 'spec.template.labels', 'server-validation'],
        [`${namePrefix(38)}*`, 'metadata.name', 'server-validation'],
        [`${namePrefix(228)}*`, 'metadata.name', 'server-validation'],
      ]);
      // In verify's words: the name Argo CD would send, and how it makes it.
      expect(offline.problems[0]!.message).toBe(
        `Invalid value: "${namePrefix(38)}0000000-presync-1700000000": must be no more than 63 bytes (Argo CD names this PreSync hook itself: ` +
          `its generateName, then the synced revision's first 7 characters, "-presync-" and the sync's start in Unix seconds: 26 characters more; ` +
          'shorten metadata.generateName or give the hook a metadata.name)',
      );
    },
    BUILD_TIMEOUT,
  );

  it(
    "agrees on an env's built output too, as the pipeline validates it",
    async () => {
      const { repo, server } = live;
      const offline = await validate(repo, ['dist'], { policy: false });
      const real = await verify(repo, { server });
      // Lines apart: for a field the object lacks, verify's reader of dist/ names its parent's key and
      // validate's reader the line after it.
      const unplaced = (problems: readonly Problem[]) => errors(problems).map(([file, , ...rest]) => [file, ...rest]);
      expect(unplaced(offline.problems)).toStrictEqual(unplaced(real.problems));
      expect(unplaced(offline.problems)).toHaveLength(9);
    },
    BUILD_TIMEOUT,
  );
});
