import { describe, expect, it } from 'vitest';
import type { Problem } from '@strata/project';
import { validate } from '@strata/validate';
import { pipeline } from '../src/index.ts';
import { templateAppsWorkspace } from '@strata/testing/workspace';

// The cluster is the env: a default deny and a policy for a workload that one app ships in a shared
// namespace count for the pods another app of the env runs there. The pipeline judges them so, also
// when the app that runs the pods is reused from the cache and only the other app changed its policies.

const IMPORTS = [
  "import { Pod } from 'kubernetes-models/v1/Pod';",
  "import { Namespace } from 'kubernetes-models/v1/Namespace';",
  "import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';",
];

const namespace = "new Namespace({ metadata: { name: 'shared' } })";
const deny =
  "new NetworkPolicy({ metadata: { name: 'shared-deny', namespace: 'shared' }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } })";
const allowProbe =
  "new NetworkPolicy({ metadata: { name: 'shared-probe', namespace: 'shared' }, spec: { podSelector: { matchLabels: { app: 'probe' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'probe' } } }], ports: [{ port: 8080 }] }] } })";
const pod =
  "new Pod({ metadata: { name: 'probe', namespace: 'shared', labels: { app: 'probe' } }, spec: { containers: [{ name: 'probe', image: 'ghcr.io/acme/probe@sha256:25141dd725aa8fad66b62b8c28f04a18a00a60fb87749a3d312d776a2d94fe27' }] } })";

const RULES = ['default-deny-network-policy', 'network-policy-selects-workload'];
const found = (problems: readonly Problem[]) =>
  problems
    .filter((p) => RULES.includes(p.rule ?? ''))
    .map((p) => `${p.file} ${p.rule}`)
    .sort();
const envs = (rule: string, list: readonly string[] = ['dev', 'prod', 'staging']) => list.map((env) => `dist/${env}/beta.yaml ${rule}`);

describe('pods in a namespace whose NetworkPolicies another app of the env ships, judged beside them', () => {
  const ws = templateAppsWorkspace(IMPORTS, { alpha: [namespace, deny, allowProbe], beta: [pod] });

  it("finds nothing missing in the pipeline and in validate of all or one built file: the other app's default deny and policy count", async () => {
    const r = await pipeline(ws.root);
    expect(r.built.failed).toBe(0);
    expect(found(r.problems)).toStrictEqual([]);
    expect(found((await validate(ws.root, ['dist'])).problems)).toStrictEqual([]);
    expect(found((await validate(ws.root, ['dist/dev/beta.yaml'])).problems)).toStrictEqual([]);
  });

  it('judges the reused app again when only the other app drops its policies, and again when it ships them back', async () => {
    ws.setObjects('alpha', [namespace, deny]);
    const dropped = await pipeline(ws.root);
    expect(dropped.reused).toBe(1);
    expect(found(dropped.problems)).toStrictEqual(envs('network-policy-selects-workload'));
    // Its new verdict is remembered: a run with nothing changed says the same.
    const again = await pipeline(ws.root);
    expect(again.reused).toBe(2);
    expect(found(again.problems)).toStrictEqual(envs('network-policy-selects-workload'));
    ws.setObjects('alpha', [namespace]);
    const none = await pipeline(ws.root);
    expect(none.reused).toBe(1);
    expect(found(none.problems)).toStrictEqual([...envs('default-deny-network-policy'), ...envs('network-policy-selects-workload')].sort());
    expect(found((await pipeline(ws.root, { cache: false })).problems)).toStrictEqual(found(none.problems));
    ws.setObjects('alpha', [namespace, deny, allowProbe]);
    const back = await pipeline(ws.root);
    expect(back.reused).toBe(1);
    expect(found(back.problems)).toStrictEqual([]);
  });
});
