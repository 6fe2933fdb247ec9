import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ensureServers, startServer, verify, type Server } from '@strata/verify';
import { verifyFiles } from '../src/index.ts';

// verify of one app's built output meets the PriorityClasses and RuntimeClasses the other apps of its
// env ship, as validate of that file does and as the env's cluster has them: a Pod that names one is
// admitted, and a workload's pods are not said to name a class nothing creates. A class of another
// env is not there.

// On a fresh clone this builds the server binaries first (minutes, once per machine).
const BUILD_TIMEOUT = 15 * 60_000;

const yaml = (...objects: object[]) => objects.map((o) => stringify(o)).join('---\n');
const priorityClass = (name: string) => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value: 1000 });
const runtimeClass = (name: string) => ({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name }, handler: 'runsc' });
const spec = (classes: Record<string, string>) => ({ containers: [{ name: 'c', image: 'busybox:1.37' }], ...classes });
const pod = (name: string, classes: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'web' },
  spec: spec(classes),
});
const deployment = (name: string, classes: Record<string, string>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'web' },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: spec(classes) } },
});

let server: Server;
let root: string;
const write = (file: string, text: string) => {
  mkdirSync(join(root, file, '..'), { recursive: true });
  writeFileSync(join(root, file), text);
};

beforeAll(async () => {
  server = await startServer(await ensureServers());
  root = mkdtempSync(join(tmpdir(), 'strata-verify-env-classes-'));
  // The workspace: two apps with an overlay each, built.
  for (const app of ['platform', 'web']) for (const env of ['dev', 'prod']) write(`overlays/${env}/${app}/kustomization.yaml`, 'resources: []\n');
  write('dist/dev/platform.yaml', yaml(priorityClass('batch-high'), runtimeClass('gvisor')));
  write('dist/prod/platform.yaml', yaml(priorityClass('prod-only')));
  write('dist/prod/web.yaml', yaml({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } }));
  write(
    'dist/dev/web.yaml',
    yaml(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } },
      pod('classed', { priorityClassName: 'batch-high', runtimeClassName: 'gvisor' }),
      deployment('worker', { priorityClassName: 'batch-high', runtimeClassName: 'gvisor' }),
      // prod's platform ships it, dev's does not.
      pod('elsewhere', { priorityClassName: 'prod-only' }),
    ),
  );
  // What is deployed now: the namespace alone.
  write('deployed/web.yaml', yaml({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } }));
}, BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The server's words without the object it names. */
const words = (message: string) => message.replace(/^\S+ "[^"]*" is (forbidden|invalid): /, '');
const found = (problems: readonly { name?: string; rule: string; message: string }[]) =>
  problems.filter((p) => p.rule !== 'stale-build').map((p) => [p.name, p.rule, words(p.message)]);
const ONLY_ELSEWHERE = [['elsewhere', 'server-rejected', 'no PriorityClass with name prod-only was found']];
const exists = async (path: string) => (await server.client.request('GET', path)).status === 200;

describe("verify of one app's built output, beside the classes of the other apps of its env", () => {
  it(
    'admits its Pods that name a class another app of the env ships, and refuses one that names a class of another env only',
    async () => {
      const named = await verifyFiles(root, ['dist/dev/web.yaml'], { server });
      expect(found(named.problems)).toStrictEqual(ONLY_ELSEWHERE);
      const selected = await verify(root, { env: 'dev', app: ['web'], server });
      expect(found(selected.problems)).toStrictEqual(ONLY_ELSEWHERE);
      // The other app's classes are not the run's objects, and the server is left as it was found.
      expect(named.objects).toBe(4);
      expect(await exists('/apis/scheduling.k8s.io/v1/priorityclasses/batch-high')).toBe(false);
      expect(await exists('/apis/node.k8s.io/v1/runtimeclasses/gvisor')).toBe(false);
    },
    BUILD_TIMEOUT,
  );

  it(
    'admits them alike as an upgrade of what is deployed',
    async () => {
      const r = await verifyFiles(root, ['dist/dev/web.yaml'], { server, against: 'deployed' });
      expect(found(r.problems)).toStrictEqual(ONLY_ELSEWHERE);
      expect(await exists('/apis/scheduling.k8s.io/v1/priorityclasses/batch-high')).toBe(false);
    },
    BUILD_TIMEOUT,
  );
});
