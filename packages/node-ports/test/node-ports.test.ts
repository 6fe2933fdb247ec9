import { describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import { nodePortClashes, nodePortsAsked, nodePortTakenMessage } from '../src/index.ts';

interface Port {
  readonly port: number;
  readonly nodePort?: number;
  readonly protocol?: 'TCP' | 'UDP';
}

/** A Service of `type` (NodePort unless told). */
function service(name: string, ports: readonly Port[], spec: Record<string, unknown> = {}): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'ports' },
    spec: {
      type: 'NodePort',
      selector: { app: name },
      ports: ports.map((p, i) => ({
        name: `p${i}`,
        port: p.port,
        protocol: p.protocol ?? 'TCP',
        ...(p.nodePort === undefined ? {} : { nodePort: p.nodePort }),
      })),
      ...spec,
    },
  };
}

/** Who is refused which port, and who keeps it, for Services created in the order given. */
const clashes = (...services: Manifest[]) =>
  nodePortClashes(services, nodePortsAsked, (a, b) => a.metadata.name === b.metadata.name).map((c) => ({
    refused: c.item.metadata.name,
    at: c.asked.path,
    port: c.asked.port,
    keeps: c.holder.metadata.name,
    held: c.held.path,
  }));

describe('the node ports a Service takes when it is created', () => {
  it('takes one node port for the entries of one port, named at the first of them, and none for a ClusterIP Service', () => {
    const dns = service('dns', [
      { port: 53, protocol: 'TCP', nodePort: 30053 },
      { port: 53, protocol: 'UDP', nodePort: 30053 },
      { port: 80, nodePort: 30080 },
    ]);
    expect(nodePortsAsked(dns)).toStrictEqual([
      { port: 30053, path: 'spec.ports[0].nodePort' },
      { port: 30080, path: 'spec.ports[2].nodePort' },
    ]);
    expect(nodePortsAsked(service('web', [{ port: 80, nodePort: 30080 }], { type: 'ClusterIP' }))).toStrictEqual([]);
    expect(nodePortsAsked({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, spec: { type: 'NodePort' } } as Manifest)).toStrictEqual(
      [],
    );
  });

  it('takes a health check node port only for a LoadBalancer of local traffic, and the ports asked for when it allocates none', () => {
    const lb = (spec: Record<string, unknown>) =>
      service(
        'lb',
        [
          { port: 80, nodePort: 0 },
          { port: 80, protocol: 'UDP', nodePort: 30080 },
        ],
        { type: 'LoadBalancer', healthCheckNodePort: 30090, ...spec },
      );
    expect(nodePortsAsked(lb({ externalTrafficPolicy: 'Local' }))).toStrictEqual([
      { port: 30080, path: 'spec.ports[0].nodePort' },
      { port: 30090, path: 'spec.healthCheckNodePort' },
    ]);
    expect(nodePortsAsked(lb({ externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: false }))).toStrictEqual([
      { port: 30080, path: 'spec.ports[1].nodePort' },
    ]);
    expect(
      nodePortsAsked(service('np', [{ port: 80, nodePort: 30081 }], { externalTrafficPolicy: 'Local', healthCheckNodePort: 30091 })),
    ).toStrictEqual([{ port: 30081, path: 'spec.ports[0].nodePort' }]);
  });

  it('lists no port the server chooses', () => {
    expect(nodePortsAsked(service('web', [{ port: 80 }, { port: 81, nodePort: 0 }]))).toStrictEqual([]);
  });
});

describe('node ports of one cluster, taken in apply order', () => {
  it('refuses a later Service the port an earlier one holds, whatever the protocol, naming the holder', () => {
    expect(clashes(service('tcp', [{ port: 80, nodePort: 30060 }]), service('udp', [{ port: 80, protocol: 'UDP', nodePort: 30060 }]))).toStrictEqual([
      { refused: 'udp', at: 'spec.ports[0].nodePort', port: 30060, keeps: 'tcp', held: 'spec.ports[0].nodePort' },
    ]);
  });

  it('lets the entries of one port of a Service share a node port, and refuses another Service that port', () => {
    const dns = service('dns', [
      { port: 53, protocol: 'TCP', nodePort: 30053 },
      { port: 53, protocol: 'UDP', nodePort: 30053 },
    ]);
    expect(clashes(dns)).toStrictEqual([]);
    expect(clashes(dns, service('other', [{ port: 53, protocol: 'UDP', nodePort: 30053 }]))).toStrictEqual([
      { refused: 'other', at: 'spec.ports[0].nodePort', port: 30053, keeps: 'dns', held: 'spec.ports[0].nodePort' },
    ]);
  });

  it('keeps node ports and health check node ports in one pool', () => {
    const lb = (name: string, health: number, nodePort: number) =>
      service(name, [{ port: 80, nodePort }], { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: health });
    expect(clashes(service('np', [{ port: 80, nodePort: 30061 }]), lb('lb', 30061, 30062))).toStrictEqual([
      { refused: 'lb', at: 'spec.healthCheckNodePort', port: 30061, keeps: 'np', held: 'spec.ports[0].nodePort' },
    ]);
    expect(clashes(lb('lb', 30061, 30062), service('np', [{ port: 80, nodePort: 30061 }]))).toStrictEqual([
      { refused: 'np', at: 'spec.ports[0].nodePort', port: 30061, keeps: 'lb', held: 'spec.healthCheckNodePort' },
    ]);
  });

  it('gives a refused Service none of its ports: the next one that asks for them gets them', () => {
    const first = service('first', [{ port: 80, nodePort: 30070 }]);
    const refused = service('second', [
      { port: 80, nodePort: 30070 },
      { port: 81, nodePort: 30071 },
    ]);
    const third = service('third', [{ port: 81, nodePort: 30071 }]);
    expect(clashes(first, refused, third)).toStrictEqual([
      { refused: 'second', at: 'spec.ports[0].nodePort', port: 30070, keeps: 'first', held: 'spec.ports[0].nodePort' },
    ]);
  });

  it('reports every port of a refused Service that is taken, and nothing for the same Service applied again', () => {
    const first = service('first', [
      { port: 80, nodePort: 30072 },
      { port: 81, nodePort: 30073 },
    ]);
    expect(clashes(first, first)).toStrictEqual([]);
    expect(
      clashes(
        first,
        service('second', [
          { port: 81, nodePort: 30073 },
          { port: 80, nodePort: 30072 },
        ]),
      ),
    ).toStrictEqual([
      { refused: 'second', at: 'spec.ports[0].nodePort', port: 30073, keeps: 'first', held: 'spec.ports[1].nodePort' },
      { refused: 'second', at: 'spec.ports[1].nodePort', port: 30072, keeps: 'first', held: 'spec.ports[0].nodePort' },
    ]);
  });
});

describe('the refusal of a port that is taken', () => {
  it('says what the server says, and names the Service that keeps the port, its file and line', () => {
    const holder = { namespace: 'shop', name: 'api', file: 'dist/dev/api.yaml', line: 14 };
    expect(nodePortTakenMessage({ port: 30080, path: 'spec.ports[1].nodePort' }, holder)).toBe(
      'Invalid value: 30080: provided port is already allocated (to Service shop/api, dist/dev/api.yaml:14, applied first: the cluster creates that one and refuses this one; a dry run lets both through)',
    );
    expect(nodePortTakenMessage({ port: 30080, path: 'spec.healthCheckNodePort' }, { name: 'api', file: 'api.yaml' })).toBe(
      'failed to allocate requested HealthCheck NodePort 30080: provided port is already allocated (to Service api, api.yaml, applied first: the cluster creates that one and refuses this one; a dry run lets both through)',
    );
  });

  it('names a holder in the file of the refused Service by its line alone, which stays true however that file is named', () => {
    const holder = { namespace: 'shop', name: 'api', file: '/srv/manifests/services.yaml', line: 14 };
    expect(nodePortTakenMessage({ port: 30080, path: 'spec.ports[0].nodePort' }, holder, '/srv/manifests/services.yaml')).toBe(
      'Invalid value: 30080: provided port is already allocated (to Service shop/api, line 14 of this file, applied first: the cluster creates that one and refuses this one; a dry run lets both through)',
    );
    expect(nodePortTakenMessage({ port: 30080, path: 'spec.ports[0].nodePort' }, holder, '/srv/manifests/other.yaml')).toMatch(
      /\(to Service shop\/api, \/srv\/manifests\/services\.yaml:14, applied first/,
    );
  });
});
