import { afterAll, describe, expect, it } from 'vitest';
import { ensureServers, LATE_CHECKS, readBuilt, startServer, verifyDocuments, type Server } from '../src/index.ts';
import { BUILD_TIMEOUT } from './helpers.ts';

let server: Server | undefined;

afterAll(async () => {
  await server?.stop();
});

describe('a server handed over before its last post-start hooks', () => {
  it(
    'applies a Pod that names a system PriorityClass only once the hook that creates it is done',
    async () => {
      server = await startServer(await ensureServers(), { beforeLateChecks: true });
      // Handed over at once, a Pod applied now would meet no system-node-critical PriorityClass (the
      // hook waits a second before it creates them) and be refused.
      const pod = [
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        '  name: agent',
        'spec:',
        '  priorityClassName: system-node-critical',
        '  containers:',
        '    - name: agent',
        '      image: busybox:1.37',
        '',
      ].join('\n');
      const r = await verifyDocuments(readBuilt(pod, 'pod.yaml'), { server });
      expect(r.problems).toStrictEqual([]);
      expect((await server.client.request('GET', '/readyz')).status).toBe(200);
    },
    BUILD_TIMEOUT,
  );

  it('names the checks it does not wait for, and they exist', async () => {
    await server!.whenReady();
    const verbose = await server!.client.request('GET', '/readyz?verbose');
    const text = String(verbose.body);
    for (const check of LATE_CHECKS) expect(text).toContain(`[+]${check} ok`);
  });
});
