import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testTempDir, writeTree } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { validate } from '../src/index.ts';
import { kustomizeBuild, repo } from './kustomize-trees.ts';

/**
 * kustomize reads a kustomization as kubectl reads YAML (1.1): an unquoted 0777 is a number, on a
 * boolean, and a label, an annotation or an image's newTag must be text. It refuses the folder with
 * Go's words, which name the field but not the value (`cannot unmarshal number into Go struct field
 * Label.labels.pairs of type string`): the finding is at the line of the value, in the kustomization
 * that writes it (a base the folder pulls in too), with how to fix it.
 */
const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n  namespace: shop\n';
const TREE: Record<string, string> = {
  'base/kustomization.yaml': 'resources:\n- cm.yaml\n',
  'base/cm.yaml': CM,
  'labels/kustomization.yaml': 'resources:\n- ../base\nlabels:\n- pairs:\n    team: shop\n- pairs:\n    a: x\n    mode: 0777\n',
  'common/kustomization.yaml': 'resources:\n- ../base\ncommonLabels:\n  z: on\n  a: x\n  debug: yes\n',
  'tagged/kustomization.yaml': 'resources:\n- cm.yaml\nimages:\n- name: nginx\n  newTag: 1.20\n',
  'tagged/cm.yaml': CM,
  'pulls/kustomization.yaml': 'resources:\n- ../tagged\n',
};

describe('a value of a kustomization that kustomize refuses where text is needed, in a folder walk', () => {
  it('is found at the line that writes it, in the kustomization the folder builds or one it pulls in', async () => {
    const dir = writeTree(testTempDir('strata-walk-refused-values-'), TREE);
    for (const folder of ['labels', 'common', 'pulls']) {
      const built = kustomizeBuild(join(dir, folder));
      expect(built.status, folder).not.toBe(0);
      expect(built.stderr, folder).toMatch(/invalid Kustomization: json: cannot unmarshal (number|bool) into Go struct field/);
    }

    const r = await validate(repo, ['.'], { cwd: dir, policy: false, serverChecks: false });
    expect(r.problems.map((p) => [p.file, p.line, p.path, p.rule])).toStrictEqual([
      ['common/kustomization.yaml', 6, 'commonLabels.debug', 'kustomize-build'],
      ['labels/kustomization.yaml', 8, 'labels[1].pairs.mode', 'kustomize-build'],
      ['tagged/kustomization.yaml', 5, 'images[0].newTag', 'kustomize-build'],
    ]);
    expect(r.problems.map((p) => readFileSync(join(dir, p.file), 'utf8').split('\n')[p.line! - 1]!.trim())).toStrictEqual([
      'debug: yes',
      'mode: 0777',
      'newTag: 1.20',
    ]);
    expect(r.problems.map((p) => p.message.replace(/^.*of type string /, ''))).toStrictEqual([
      '(commonLabels.debug: the unquoted yes is a boolean to kustomize and kubectl, where text is needed; quote it: "yes")',
      '(labels[1].pairs.mode: the unquoted 0777 is a number to kustomize and kubectl, where text is needed; quote it: "0777")',
      '(images[0].newTag: the unquoted 1.20 is a number to kustomize and kubectl, where text is needed; quote it: "1.20")',
    ]);
    expect(r.problems.map((p) => /^kustomize cannot build (\w+): /.exec(p.message)?.[1])).toStrictEqual(['common', 'labels', 'pulls']);
  });
});
