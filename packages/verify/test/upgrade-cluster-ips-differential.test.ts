import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import { parseAllDocuments } from 'yaml';
import { SERVER_BUILD_TIMEOUT, startDifferentialServer, type DifferentialServer } from '../../policy/test/differential.ts';
import { readBuilt, verifyDocuments } from '../src/index.ts';
import { BUILD_TIMEOUT } from './helpers.ts';

/**
 * Cluster IPs across an upgrade: what is deployed is created for real on a dual-stack kube-apiserver,
 * then the upgrade's Services are created for real in apply order, before anything is pruned, as Flux
 * and `kubectl apply --prune` sync them; what the cluster-IP allocator refuses of them must be what
 * `verify --against` refuses, Service by Service and in the allocator's words, though its dry runs
 * run no allocator. Node ports, which a dry run does check, are refused alike.
 */

const NS = 'ips';

const service = (name: string, spec: Record<string, unknown>): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80 }], ...spec },
  });
const v6 = (ip: string) => ({ clusterIP: ip, ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack' });

const DEPLOYED = [
  service('renamed-a', { clusterIP: '10.96.201.10' }),
  service('kept', { clusterIP: '10.96.201.11' }),
  service('six-old', v6('fd00:10:96::b')),
  service('headless-old', { clusterIP: 'None' }),
  service('stays', { clusterIP: '10.96.201.12' }),
  service('dual-old', { clusterIP: '10.96.201.13', clusterIPs: ['10.96.201.13', 'fd00:10:96::c'], ipFamilyPolicy: 'RequireDualStack' }),
  service('port-old', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }),
].join('\n---\n');

const UPGRADE = [
  // Renamed, keeping its IP: the old Service holds it until it is pruned.
  service('renamed-b', { clusterIP: '10.96.201.10' }),
  // Kept, and another Service asking for its IP.
  service('kept', { clusterIP: '10.96.201.11' }),
  service('thief', { clusterIP: '10.96.201.11' }),
  // The same IPv6 address, spelt otherwise.
  service('six-new', v6('fd00:10:96:0:0::b')),
  // No IP asked for, or a free one, or its own again.
  service('headless-new', { clusterIP: 'None' }),
  service('fresh', { clusterIP: '10.96.201.14' }),
  service('chosen', {}),
  service('stays', { clusterIP: '10.96.201.12' }),
  // The second family's IP of a dual-stack Service the upgrade prunes.
  service('dual-thief', v6('fd00:10:96::c')),
  // A node port moved to a renamed Service, which the dry run itself refuses.
  service('port-new', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }),
].join('\n---\n');

const objects = (text: string) => parseAllDocuments(text).map((d) => d.toJSON() as Manifest);
const WORDS = /Invalid value: .*?provided (IP|port) is already allocated/;

let server: DifferentialServer;
let real: string[][];

beforeAll(async () => {
  server = await startDifferentialServer([], { serviceClusterIpRanges: ['10.96.0.0/16', 'fd00:10:96::/112'] });
  await server.namespace(NS);
  const created: Manifest[] = [];
  for (const m of objects(DEPLOYED)) {
    const r = await server.create(m, NS);
    if (r.status >= 300) throw new Error(`deploying ${m.metadata.name}: ${r.message}`);
    created.push(m);
  }
  real = [];
  for (const m of objects(UPGRADE)) {
    const r = await server.create(m, NS);
    if (r.status < 300) created.push(m);
    else real.push([m.metadata.name, WORDS.exec(r.message)?.[0] ?? r.message]);
  }
  // verify finds the server as it found it.
  for (const m of created.reverse()) await server.remove(m, NS);
}, SERVER_BUILD_TIMEOUT);

afterAll(async () => {
  await server?.stop();
});

describe('cluster IPs across an upgrade, in verify --against and on a real cluster', () => {
  it('the cluster refuses the Services that ask for an IP or node port a deployed Service holds', () => {
    expect(real).toStrictEqual([
      ['renamed-b', 'Invalid value: ["10.96.201.10"]: failed to allocate IP 10.96.201.10: provided IP is already allocated'],
      ['thief', 'Invalid value: ["10.96.201.11"]: failed to allocate IP 10.96.201.11: provided IP is already allocated'],
      ['six-new', 'Invalid value: ["fd00:10:96:0:0::b"]: failed to allocate IP fd00:10:96:0:0::b: provided IP is already allocated'],
      ['dual-thief', 'Invalid value: ["fd00:10:96::c"]: failed to allocate IP fd00:10:96::c: provided IP is already allocated'],
      ['port-new', 'Invalid value: 30080: provided port is already allocated'],
    ]);
  });

  it(
    'verify --against refuses the same Services in the same words, each as the create it is, naming the holder',
    async () => {
      const r = await verifyDocuments(readBuilt(UPGRADE, 'new/app.yaml'), {
        server: server.server,
        against: { name: 'old', docs: readBuilt(DEPLOYED, 'old/app.yaml') },
      });
      // The server warns of the IPv6 address not spelt canonically; it refuses the rest.
      const refused = r.problems.filter((p) => p.severity === 'error');
      expect(refused.map((p) => [p.name, WORDS.exec(p.message)?.[0] ?? p.message])).toStrictEqual(real);
      // What the deployed set held is refused as the create the sync makes; the kept Service's IP is the upgrade's own clash.
      expect(
        refused
          .filter((p) => p.name !== 'thief')
          .every((p) => p.rule === 'server-rejected' && p.message.endsWith('(as created beside what old deployed)')),
      ).toBe(true);
      const renamed = r.problems.find((p) => p.name === 'renamed-b')!;
      expect([renamed.path, renamed.line, renamed.message]).toStrictEqual([
        'spec.clusterIP',
        1,
        'Invalid value: ["10.96.201.10"]: failed to allocate IP 10.96.201.10: provided IP is already allocated (to Service ips/renamed-a, as deployed at old, ' +
          'which the output no longer has; Argo CD prunes it before it creates this one but does not wait for it to be gone, so the create is refused until the IP is free and a retry of the sync takes it; ' +
          'a dry run lets it through; give this Service another clusterIP, or none) (as created beside what old deployed)',
      ]);
      expect(r.problems.find((p) => p.name === 'thief')!.message).toContain('(to Service ips/kept, line 3 of this file, applied first');
      // A node port moved to a renamed Service is refused alike, naming the holder and when it is pruned.
      expect(r.problems.find((p) => p.name === 'port-new')!.message).toBe(
        'Invalid value: 30080: provided port is already allocated (to Service ips/port-old, as deployed at old, ' +
          'which the output no longer has; Argo CD prunes it before it creates this one but does not wait for it to be gone, so the create is refused until the port is free and a retry of the sync takes it; ' +
          'give this Service another nodePort, or none) (as created beside what old deployed)',
      );
    },
    BUILD_TIMEOUT,
  );

  it(
    'says, where Flux applies the tree, that it prunes the holder of a cluster IP or node port only after the create',
    async () => {
      const root = mkdtempSync(join(tmpdir(), 'strata-flux-'));
      try {
        writeFileSync(join(root, 'strata.config.json'), `${JSON.stringify({ gitops: { consumer: 'flux' } })}\n`);
        const r = await verifyDocuments(readBuilt(UPGRADE, 'new/app.yaml'), {
          root,
          server: server.server,
          against: { name: 'old', docs: readBuilt(DEPLOYED, 'old/app.yaml') },
        });
        expect(r.problems.find((p) => p.name === 'renamed-b')?.message).toContain(
          '(to Service ips/renamed-a, as deployed at old, which the output no longer has and Flux prunes only after it applies the rest, so this create comes first and is refused; a dry run lets it through;',
        );
        expect(r.problems.find((p) => p.name === 'port-new')?.message).toContain(
          '(to Service ips/port-old, as deployed at old, which the output no longer has and Flux prunes only after it applies the rest, so this create comes first and is refused; give this Service another nodePort, or none)',
        );
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
    BUILD_TIMEOUT,
  );
});
