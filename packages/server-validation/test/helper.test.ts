import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkObjects, ensureHelper, pathSegments, startHelper, type Verdict } from '../src/index.ts';
import { loadCorpus } from './corpus.ts';

// On a fresh machine the first test to ask builds the helper (minutes, once per machine).
const BUILD_TIMEOUT = 20 * 60_000;

const corpus = loadCorpus();
let helper: string;
const verdicts = new Map<string, Verdict>();

beforeAll(async () => {
  helper = await ensureHelper();
  const all = await checkObjects(
    helper,
    corpus.map((c) => c.object),
  );
  corpus.forEach((c, i) => verdicts.set(c.name, all[i]!));
}, BUILD_TIMEOUT);

const paths = (name: string) => verdicts.get(name)!.errors.map((e) => e.path);

describe('the server validation helper', () => {
  it.each(corpus.map((c) => [c.name, c] as const))('%s: gives the verdict the corpus expects', (name, c) => {
    const v = verdicts.get(name)!;
    expect(v.checked).toBe(true);
    if (c.expected === 'accept') expect(v.errors).toStrictEqual([]);
    else expect(v.errors.length).toBeGreaterThan(0);
  });

  it('names the field of each error as the server does, in dotted form', () => {
    expect(paths('replicas-negative')).toStrictEqual(['spec.replicas']);
    expect(paths('container-without-image')).toStrictEqual(['spec.template.spec.containers[0].image']);
    expect(paths('name-uppercase-underscore')).toStrictEqual(['metadata.name']);
    expect(paths('configmap-key-invalid')).toStrictEqual(['data[bad key!]']);
    expect(paths('target-port-123456')).toStrictEqual(['spec.ports[0].targetPort']);
    expect(paths('duplicate-container-names')).toStrictEqual(['spec.template.spec.containers[1].name']);
    expect(paths('nodeport-out-of-range')).toStrictEqual(['spec.ports[0].nodePort']);
    expect(verdicts.get('replicas-negative')!.errors[0]).toStrictEqual({
      path: 'spec.replicas',
      type: 'FieldValueInvalid',
      message: 'Invalid value: -1: must be greater than or equal to 0',
    });
  });

  it('finds the field of a value that does not decode, which the decoder itself does not name', () => {
    expect(verdicts.get('cpu-100mm')!.errors).toStrictEqual([
      {
        path: 'spec.template.spec.containers[0].resources.requests[cpu]',
        type: 'FieldValueInvalid',
        message: "unable to parse quantity's suffix",
      },
    ]);
    expect(verdicts.get('replicas-string')!.errors).toStrictEqual([
      { path: 'spec.replicas', type: 'FieldValueInvalid', message: 'cannot decode a string as int32' },
    ]);
  });

  it('reports an unknown field and still runs the validation behind it', async () => {
    expect(verdicts.get('unknown-field')!.errors).toStrictEqual([
      { path: 'spec.replicass', type: 'UnknownField', message: 'unknown field (strict field validation)' },
    ]);
    const [v] = await checkObjects(helper, [{ ...corpus.find((c) => c.name === 'replicas-negative')!.object, extra: true }]);
    expect(v!.errors.map((e) => e.path)).toStrictEqual(['extra', 'spec.replicas']);
  });

  it('leaves custom resources and versions the server does not serve unchecked, saying why', async () => {
    const [custom, unserved] = await checkObjects(helper, [
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'web' }, spec: {} },
      { apiVersion: 'batch/v1beta1', kind: 'CronJob', metadata: { name: 'old' }, spec: {} },
    ]);
    expect(custom).toStrictEqual({
      checked: false,
      reason: 'monitoring.coreos.com/v1 ServiceMonitor is not a built-in kind checked here',
      errors: [],
      warnings: [],
    });
    expect(unserved).toMatchObject({ checked: false, reason: 'batch/v1beta1 CronJob is not served by kube-apiserver by default' });
  });

  it('leaves the kinds whose create needs a cluster unchecked, marked so that callers can say which they were', async () => {
    const [binding, review, crd] = await checkObjects(helper, [
      { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'web' }, target: { kind: 'Node', name: 'node-1' } },
      { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'jane', resourceAttributes: { verb: 'get' } } },
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' } },
    ]);
    expect(binding).toStrictEqual({
      checked: false,
      reason: 'v1 Binding is not checked offline: a Binding is created against its Pod, which only a cluster has',
      needsCluster: true,
      errors: [],
      warnings: [],
    });
    expect(review).toMatchObject({ checked: false, needsCluster: true });
    // A CRD is checked as a crd request; it is not a kind left to the cluster.
    expect(crd).toMatchObject({ checked: false });
    expect(crd!.needsCluster).toBeUndefined();
  });

  it('refuses what a server-side apply that creates the object refuses in metadata, and takes the fields the server overwrites', async () => {
    const configMap = (metadata: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', ...metadata } });
    const [uid, managed, emptyManaged, overwritten] = await checkObjects(helper, [
      configMap({ uid: 'd1b0c5c4-0000-4000-8000-000000000001' }),
      configMap({ managedFields: [{ manager: 'kubectl', operation: 'Apply' }] }),
      configMap({ managedFields: [] }),
      configMap({ resourceVersion: '1', generation: 2, creationTimestamp: '2020-01-01T00:00:00Z', selfLink: '/x' }),
    ]);
    expect(uid!.errors).toStrictEqual([
      {
        path: 'metadata.uid',
        type: 'Conflict',
        message: 'uid mismatch: the provided object specified uid d1b0c5c4-0000-4000-8000-000000000001, and no existing object was found',
      },
    ]);
    expect(managed!.errors).toStrictEqual([{ path: 'metadata.managedFields', type: 'BadRequest', message: 'metadata.managedFields must be nil' }]);
    expect(emptyManaged!.errors.map((e) => e.path)).toStrictEqual(['metadata.managedFields']);
    expect(overwritten!.errors).toStrictEqual([]);
  });

  it("allocates node ports from the cluster's range, kube-apiserver's default unless told, and refuses a port outside it naming the range", async () => {
    const service = (nodePort: number) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { type: 'NodePort', ports: [{ port: 80, nodePort }] },
    });
    const messages = (vs: readonly Verdict[]) => vs.map((v) => v.errors.map((e) => `${e.path}: ${e.message}`));
    const outside = (port: number, range: string) =>
      `spec.ports[0].nodePort: Invalid value: ${port}: provided port is not in the valid range. The range of valid ports is ${range}`;
    expect(messages(await checkObjects(helper, [service(8080), service(30080)]))).toStrictEqual([[outside(8080, '30000-32767')], []]);
    const ranged = await checkObjects(helper, [service(8080), service(30080)], { serviceNodePortRange: { from: 8000, to: 9000 } });
    expect(messages(ranged)).toStrictEqual([[], [outside(30080, '8000-9000')]]);
  });

  it("never refuses a Service for the node port the server's own draw gave it, only when every draw the server can make takes what the Service asks for", async () => {
    // The registry takes a node port left to it (port 80's here) before the numbers asked for, by a
    // draw from the upper band of the range that no seed outside the server sets. With 30000-30017
    // that band is 30016-30017, so half the draws take 30017, the number each Service asks for
    // after it; 200 Services leave a chance of 2^-200 that a helper obeying its draw passes.
    const service = (spec: Record<string, unknown>, ports: readonly object[]) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lb', namespace: 'ports' },
      spec: { type: 'LoadBalancer', selector: { app: 'lb' }, ports, ...spec },
    });
    const health = service({ externalTrafficPolicy: 'Local', healthCheckNodePort: 30017 }, [{ port: 80 }]);
    const nodePort = service({}, [
      { name: 'http', port: 80 },
      { name: 'admin', port: 81, nodePort: 30017 },
    ]);
    const messages = (vs: readonly Verdict[]) => [...new Set(vs.map((v) => v.errors.map((e) => `${e.path}: ${e.message}`).join('; ')))];
    const range = { from: 30000, to: 30017 };
    // Named apart: the same object twice is checked once.
    const copies = (o: { metadata: object }) => Array.from({ length: 200 }, (_, i) => ({ ...o, metadata: { ...o.metadata, name: `lb-${i}` } }));
    expect(messages(await checkObjects(helper, copies(health), { serviceNodePortRange: range }))).toStrictEqual(['']);
    expect(messages(await checkObjects(helper, copies(nodePort), { serviceNodePortRange: range }))).toStrictEqual(['']);
    // With 30000-30016 the upper band is 30016 alone: every create draws it, and the server refuses each.
    const forced = await checkObjects(helper, [service({ externalTrafficPolicy: 'Local', healthCheckNodePort: 30016 }, [{ port: 80 }])], {
      serviceNodePortRange: { from: 30000, to: 30016 },
    });
    expect(messages(forced)).toStrictEqual([
      'spec.healthCheckNodePort: failed to allocate requested HealthCheck NodePort 30016: provided port is already allocated',
    ]);
  });

  it('answers many objects from one process, each with its own verdict', async () => {
    const session = startHelper(helper, { concurrency: 2 });
    const good = corpus.find((c) => c.name === 'deployment')!.object;
    const bad = corpus.find((c) => c.name === 'replicas-negative')!.object;
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => session.check(i % 2 ? bad : good)));
    await session.close();
    expect(answers.map((a) => a.errors.length > 0)).toStrictEqual(Array.from({ length: 200 }, (_, i) => i % 2 === 1));
  });

  it('rejects the checks in flight when the helper cannot run', async () => {
    await expect(checkObjects('/nonexistent/strata-server-validation', [{ apiVersion: 'v1', kind: 'ConfigMap' }])).rejects.toThrow(
      /the server validation helper stopped: cannot run \/nonexistent\/strata-server-validation/,
    );
  });

  it('ends the helper before passing on an error of the JSON it was to check, so the process can exit', async () => {
    // A node port range no other test uses tells this helper apart from any other running.
    const range = { from: 30123, to: 30124 };
    const running = () =>
      execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes('30123-30124'));
    const json = () => {
      throw new RangeError('Maximum call stack size exceeded');
    };
    await expect(checkObjects(helper, [{ apiVersion: 'v1', kind: 'ConfigMap' }], { serviceNodePortRange: range, json })).rejects.toThrow(
      'Maximum call stack size exceeded',
    );
    expect(running()).toStrictEqual([]);
  });
});

describe('pathSegments', () => {
  it('splits a dotted path into keys and list indexes, bracketed map keys taken as written', () => {
    expect(pathSegments('spec.template.spec.containers[0].resources.requests[cpu]')).toStrictEqual([
      'spec',
      'template',
      'spec',
      'containers',
      0,
      'resources',
      'requests',
      'cpu',
    ]);
    expect(pathSegments('data[bad key!]')).toStrictEqual(['data', 'bad key!']);
    expect(pathSegments('metadata.annotations[example.com/a]')).toStrictEqual(['metadata', 'annotations', 'example.com/a']);
    expect(pathSegments('')).toStrictEqual([]);
  });
});
