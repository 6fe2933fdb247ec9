import { join } from 'node:path';
import { testTempDir, writeTree } from '@strata/testing/temp';
import { describe, expect, it } from 'vitest';
import { validate } from '../src/index.ts';
import { kustomizeBuild, repo } from './kustomize-trees.ts';

/**
 * kustomize reads YAML 1.2: an unquoted yes, on or Off in a file a kustomization reads is the text
 * "yes" to it, where kubectl reads true, and `kubectl apply -k` sends the text kustomize built. A
 * boolean field that gets it is refused; the finding is at the line that writes the value, in the
 * resource or the patch, naming the object, and says why. The same words in a text field are what
 * kustomize builds and what the author wrote: nothing to say of the build.
 */
const TREE: Record<string, string> = {
  'base/kustomization.yaml': 'resources:\n- pod.yaml\n- list.yaml\n- cm.yaml\n',
  'base/pod.yaml': `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  hostNetwork: yes
  containers:
  - name: c
    image: nginx:1.27
`,
  'base/list.yaml': `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: listed
    namespace: shop
  spec:
    hostIPC: Off
    containers:
    - name: c
      image: nginx:1.27
`,
  'base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n  namespace: shop\ndata:\n  debug: on\n',
  'overlay/kustomization.yaml': 'resources:\n- ../base\npatches:\n- path: pid.yaml\n',
  'overlay/pid.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  hostPID: on\n',
};

describe('a value kustomize reads as YAML 1.2 does, in a folder walk', () => {
  it('is found at the line that writes it, in the resource, the list item or the patch, naming the object', async () => {
    const dir = writeTree(testTempDir('strata-walk-yaml-version-'), TREE);
    const built = kustomizeBuild(join(dir, 'overlay'));
    expect(built.status, built.stderr).toBe(0);
    for (const field of ['hostNetwork: "yes"', 'hostPID: "on"', 'hostIPC: "Off"', 'debug: "on"']) expect(built.stdout).toContain(field);

    const r = await validate(repo, ['.'], { cwd: dir, policy: false, serverChecks: false });
    expect(r.problems.map((p) => [p.file, p.line, p.kind, p.name, p.path, p.rule])).toStrictEqual([
      ['base/list.yaml', 10, 'Pod', 'listed', 'spec.hostIPC', 'schema'],
      ['base/pod.yaml', 7, 'Pod', 'web', 'spec.hostNetwork', 'schema'],
      ['overlay/pid.yaml', 7, 'Pod', 'web', 'spec.hostPID', 'schema'],
    ]);
    expect(r.problems.map((p) => p.message)).toStrictEqual(
      [
        ['Off', '"Off"', 'false'],
        ['yes', '"yes"', 'true'],
        ['on', '"on"', 'true'],
      ].map(
        ([written, yaml12, kubectl]) =>
          `got string, want null or boolean (kustomize reads YAML 1.2, where the unquoted ${written} here is ${yaml12}, not ${kubectl} as kubectl reads this file; kubectl apply -k sends what kustomize built: write it so both agree, quoting text and writing booleans as true or false)`,
      ),
    );
  });
});
