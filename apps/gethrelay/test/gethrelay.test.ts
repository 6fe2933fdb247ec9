import { beforeAll, describe, expect, it } from 'vitest';
import type { Environment, Manifest } from '@strata/core';
import { all, buildApp, container, expectAllValid, expectInventory, find, findGenerated, kubeconformManifests, podSpec } from '@strata/testing';

const APP = 'gethrelay';
const ENVS: Environment[] = ['dev', 'staging', 'prod'];
const FLEET = [
  'gethrelay-default-1',
  'gethrelay-default-2',
  'gethrelay-default-3',
  'gethrelay-prefer-tor-1',
  'gethrelay-prefer-tor-2',
  'gethrelay-prefer-tor-3',
  'gethrelay-prefer-tor-4',
  'gethrelay-only-onion-1',
  'gethrelay-only-onion-2',
  'gethrelay-only-onion-3',
];
const RELAYS: Record<Environment, string[]> = {
  dev: ['gethrelay-default-1', 'gethrelay-prefer-tor-1', 'gethrelay-only-onion-1'],
  staging: FLEET,
  prod: FLEET,
};
const NODE_PORTS: Record<string, number> = {
  'gethrelay-default-1': 30311,
  'gethrelay-default-2': 30312,
  'gethrelay-default-3': 30313,
  'gethrelay-prefer-tor-1': 30321,
  'gethrelay-prefer-tor-2': 30322,
  'gethrelay-prefer-tor-3': 30323,
  'gethrelay-prefer-tor-4': 30324,
  'gethrelay-only-onion-1': 30331,
  'gethrelay-only-onion-2': 30332,
  'gethrelay-only-onion-3': 30333,
};
const RELAY_IMAGE: Record<Environment, string> = {
  dev: 'ghcr.io/ethereum/gethrelay:sha-7c1e9a4',
  staging: 'ghcr.io/ethereum/gethrelay:1.0.0',
  prod: 'ghcr.io/ethereum/gethrelay@sha256:3b8f2d6a9c1e4f7b0d5a8c2e6f9b1d4a7c0e3f6b9d2a5c8e1f4b7d0a3c6e9f2b',
};
const TOR_IMAGE: Record<Environment, string> = {
  dev: 'alpine/tor:0.4.8.16',
  staging: 'alpine/tor:0.4.8.16',
  prod: 'alpine/tor:0.4.8.16@sha256:a91c5e3f7b2d8e4a6c0f9b1d3e5a7c9f2b4d6e8a0c1f3b5d7e9a2c4f6b8d0e1a',
};
const modeOf = (name: string) => name.replace(/^gethrelay-/, '').replace(/-\d+$/, '');
const MODE_FLAGS: Record<string, string[]> = { default: [], 'prefer-tor': ['--prefer-tor'], 'only-onion': ['--only-onion'] };

const built = {} as Record<Environment, Manifest[]>;
beforeAll(async () => {
  for (const env of ENVS) built[env] = await buildApp(APP, env);
});

// How many objects of each kind a build holds: a new or vanished object fails here.
const INVENTORY: Record<Environment, Record<string, number>> = {
  dev: { ConfigMap: 2, Deployment: 3, Namespace: 1, NetworkPolicy: 2, Service: 4 },
  staging: { ConfigMap: 2, Deployment: 10, Namespace: 1, NetworkPolicy: 2, Service: 11 },
  prod: { ConfigMap: 2, Deployment: 10, Namespace: 1, NetworkPolicy: 2, Service: 11 },
};

describe.each(ENVS)('gethrelay in %s (kustomize build output)', (env) => {
  const deployments = () => all(built[env], 'Deployment');
  const relay = (name: string) => find(built[env], 'Deployment', name);

  it('lives in namespace gethrelay, with ConfigMap gethrelay-config holding CHAIN=mainnet, MAX_PEERS=200, V5DISC=true', () => {
    const namespaced = built[env].filter((m) => m.kind !== 'Namespace');
    expect(new Set(namespaced.map((m) => m.metadata.namespace))).toStrictEqual(new Set(['gethrelay']));
    const ns = find(built[env], 'Namespace', 'gethrelay');
    expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const config = findGenerated(built[env], 'gethrelay-config');
    expect(config.data).toStrictEqual({ CHAIN: 'mainnet', MAX_PEERS: '200', V5DISC: 'true' });
    for (const d of deployments()) {
      expect(container(d, 'gethrelay').envFrom).toStrictEqual([{ configMapRef: { name: config.metadata.name } }]);
    }
  });

  it('runs single-replica relay Deployments in three Tor modes: 3 default, 4 prefer-tor, 3 only-onion (dev: one of each)', () => {
    expect(
      deployments()
        .map((d) => d.metadata.name)
        .sort(),
    ).toStrictEqual([...RELAYS[env]].sort());
    const perMode = (mode: string) => deployments().filter((d) => d.metadata.labels['gethrelay/tor-mode'] === mode).length;
    const expected = env === 'dev' ? [1, 1, 1] : [3, 4, 3];
    expect([perMode('default'), perMode('prefer-tor'), perMode('only-onion')]).toStrictEqual(expected);
    for (const d of deployments()) {
      expect(d.metadata.labels['gethrelay/tor-mode']).toBe(modeOf(d.metadata.name));
      expect(d.spec.strategy).toStrictEqual({ type: 'Recreate' });
    }
  });

  it('gives every pod a tor sidecar: alpine/tor, SOCKS 9050, control 9051, 100m-500m CPU, 128Mi-512Mi, tor-data emptyDir, torrc from a ConfigMap', () => {
    const torrc = findGenerated(built[env], 'gethrelay-torrc');
    const lines = String(torrc.data.torrc).split('\n');
    expect(lines).toEqual(expect.arrayContaining(['SocksPort 0.0.0.0:9050', 'ControlPort 127.0.0.1:9051', 'SocksPolicy reject *']));
    for (const d of deployments()) {
      const tor = container(d, 'tor');
      expect(tor.image).toBe(TOR_IMAGE[env]);
      expect(tor.command).toStrictEqual(['tor', '-f', '/etc/tor/torrc']);
      expect(tor.ports).toStrictEqual([
        { name: 'socks', containerPort: 9050, protocol: 'TCP' },
        { name: 'control', containerPort: 9051, protocol: 'TCP' },
      ]);
      expect(tor.resources).toStrictEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
      expect(tor.volumeMounts).toStrictEqual([
        { name: 'tor-data', mountPath: '/var/lib/tor' },
        { name: 'torrc', mountPath: '/etc/tor', readOnly: true },
      ]);
      const volumes = podSpec(d).volumes;
      expect(volumes.find((v: { name: string }) => v.name === 'tor-data')).toStrictEqual({ name: 'tor-data', emptyDir: { sizeLimit: '256Mi' } });
      expect(volumes.find((v: { name: string }) => v.name === 'torrc')).toStrictEqual({ name: 'torrc', configMap: { name: torrc.metadata.name } });
    }
  });

  it('runs gethrelay with --chain=mainnet, --tor-proxy=127.0.0.1:9050, --v5disc and its mode flag; 200m-1000m CPU, 256Mi-1Gi; P2P 30303 TCP+UDP; metrics 6060', () => {
    for (const d of deployments()) {
      const g = container(d, 'gethrelay');
      expect(g.image).toBe(RELAY_IMAGE[env]);
      expect(g.args).toStrictEqual([
        '--chain=mainnet',
        '--tor-proxy=127.0.0.1:9050',
        '--v5disc',
        ...MODE_FLAGS[modeOf(d.metadata.name)]!,
        '--maxpeers=200',
        '--pprof',
        '--pprof.addr=0.0.0.0',
        '--pprof.port=6060',
      ]);
      expect(g.resources).toStrictEqual({ requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '1000m', memory: '1Gi' } });
      expect(g.ports).toStrictEqual([
        { name: 'p2p', containerPort: 30303, protocol: 'TCP' },
        { name: 'discovery', containerPort: 30303, protocol: 'UDP' },
        { name: 'metrics', containerPort: 6060, protocol: 'TCP' },
      ]);
      expect(g.readinessProbe.tcpSocket).toStrictEqual({ port: 'p2p' });
      expect(g.livenessProbe.tcpSocket).toStrictEqual({ port: 'p2p' });
      expect(container(d, 'tor').readinessProbe.tcpSocket).toStrictEqual({ port: 'socks' });
    }
  });

  it('has one NodePort Service per relay for P2P 30303 and one headless Service gethrelay selecting every relay', () => {
    const services = all(built[env], 'Service');
    expect(services.map((s) => s.metadata.name).sort()).toStrictEqual(['gethrelay', ...RELAYS[env]].sort());
    for (const name of RELAYS[env]) {
      const svc = find(built[env], 'Service', name);
      expect(svc.spec.type).toBe('NodePort');
      expect(svc.spec.externalTrafficPolicy).toBe('Local');
      expect(svc.spec.ports).toStrictEqual([
        { name: 'p2p', port: 30303, targetPort: 'p2p', nodePort: NODE_PORTS[name], protocol: 'TCP' },
        { name: 'discovery', port: 30303, targetPort: 'discovery', nodePort: NODE_PORTS[name], protocol: 'UDP' },
      ]);
      expect(svc.spec.selector).toStrictEqual({ 'app.kubernetes.io/name': 'gethrelay', 'app.kubernetes.io/instance': name });
      expect(relay(name).spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    }
    const headless = find(built[env], 'Service', 'gethrelay');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.selector).toStrictEqual({ 'app.kubernetes.io/name': 'gethrelay', 'app.kubernetes.io/component': 'relay' });
    expect(headless.spec.ports.map((p: { port: number; protocol: string }) => `${p.port}/${p.protocol}`)).toStrictEqual([
      '30303/TCP',
      '30303/UDP',
      '6060/TCP',
    ]);
    for (const d of deployments()) expect(d.spec.template.metadata.labels).toMatchObject(headless.spec.selector);
  });

  it('keeps replicas at 1 on every Deployment, with a selector of stable labels that matches its pods', () => {
    for (const d of deployments()) {
      expect(d.spec.replicas).toBe(1);
      expect(d.spec.selector.matchLabels).toStrictEqual({ 'app.kubernetes.io/name': 'gethrelay', 'app.kubernetes.io/instance': d.metadata.name });
      expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    }
  });

  it('runs non-root, unprivileged, off the host network/PID/IPC, with limits on every container', () => {
    const uids: Record<string, number> = { tor: 100, gethrelay: 1000 };
    for (const d of deployments()) {
      const pod = podSpec(d);
      expect(pod.hostNetwork).toBe(false);
      expect(pod.hostPID).toBe(false);
      expect(pod.hostIPC).toBe(false);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toStrictEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.initContainers).toBeUndefined();
      expect(pod.containers.map((c: { name: string }) => c.name)).toStrictEqual(['tor', 'gethrelay']);
      for (const c of pod.containers) {
        expect(c.securityContext).toStrictEqual({
          runAsUser: uids[c.name],
          runAsGroup: uids[c.name],
          runAsNonRoot: true,
          privileged: false,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(Object.keys(c.resources.limits).sort()).toStrictEqual(['cpu', 'memory']);
        expect(Object.keys(c.resources.requests).sort()).toStrictEqual(['cpu', 'memory']);
      }
    }
  });

  it('pins both images by digest in prod and by tag in dev and staging', () => {
    const images = new Set(deployments().flatMap((d) => podSpec(d).containers.map((c: { image: string }) => c.image)));
    expect([...images].sort()).toStrictEqual([RELAY_IMAGE[env], TOR_IMAGE[env]].sort());
    for (const image of images) {
      if (env === 'prod') expect(image).toMatch(/@sha256:[0-9a-f]{64}$/);
      else expect(image).toMatch(/:[\w.-]+$/);
      expect(image).not.toMatch(/:latest$/);
    }
  });

  it('denies by default and lets peers in on 30303, monitoring on 6060, and relays out to DNS and the internet only', () => {
    const deny = find(built[env], 'NetworkPolicy', 'default-deny');
    expect(deny.spec).toStrictEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const np = find(built[env], 'NetworkPolicy', 'gethrelay');
    expect(np.spec.podSelector).toStrictEqual({ matchLabels: { 'app.kubernetes.io/name': 'gethrelay', 'app.kubernetes.io/component': 'relay' } });
    expect(np.spec.ingress).toStrictEqual([
      {
        ports: [
          { protocol: 'TCP', port: 30303 },
          { protocol: 'UDP', port: 30303 },
        ],
      },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ protocol: 'TCP', port: 6060 }] },
    ]);
    expect(np.spec.egress[0]?.ports).toStrictEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    expect(np.spec.egress[2]).toStrictEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }] });
    for (const d of deployments()) expect(d.spec.template.metadata.labels).toMatchObject(np.spec.podSelector.matchLabels);
  });

  it('is valid for Kubernetes 1.36 under strict offline schemas', async () => {
    const results = await kubeconformManifests(built[env]);
    expectAllValid(results, built[env]);
  });

  it('holds exactly the objects of its kinds, each labelled as part of gethrelay and managed by strata', () => {
    expectInventory(built[env], APP, INVENTORY[env]);
  });
});
