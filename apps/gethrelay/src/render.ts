import {
  allowTraffic,
  appMetadata,
  defaultDenyPolicy,
  GENERATED_ANNOTATION,
  hardenedContainer,
  hardenedPodSpec,
  imageRef,
  kubeDnsEgress,
  namespacePeer,
  type AppMetadata,
  type HardenedContainer,
  type KubeObject,
} from '@strata/core';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { TOR_MODES, type GethrelayConfig, type TorMode } from './config.ts';

const NAME = 'gethrelay';
const CONFIG = `${NAME}-config`;
const TORRC = `${NAME}-torrc`;
const P2P = 30303;
const METRICS = 6060;
const SOCKS = 9050;
const CONTROL = 9051;
// The gethrelay image's `gethrelay` user; alpine's tor package creates `tor` as the first system user.
const RELAY_UID = 1000;
const TOR_UID = 100;

const MODE_FLAGS: Record<TorMode, readonly string[]> = {
  default: [],
  'prefer-tor': ['--prefer-tor'],
  'only-onion': ['--only-onion'],
};

/**
 * Tor listens for SOCKS on the pod address only so that the kubelet's TCP probe can reach it;
 * SocksPolicy still serves nobody but the relay beside it, and the NetworkPolicy keeps 9050 closed.
 * Tor insists on owning its data directory, so it creates `data` inside the emptyDir itself.
 */
function torrc(): string {
  return [
    `SocksPort 0.0.0.0:${SOCKS}`,
    'SocksPolicy accept 127.0.0.1/32',
    'SocksPolicy reject *',
    `ControlPort 127.0.0.1:${CONTROL}`,
    'CookieAuthentication 1',
    'DataDirectory /var/lib/tor/data',
    'Log notice stdout',
    '',
  ].join('\n');
}

/** The Tor sidecar, with the volumes it brings into the pod. */
function torSidecar(c: GethrelayConfig): HardenedContainer {
  return hardenedContainer(
    {
      name: 'tor',
      image: imageRef(c.tor.image, c.tor.image.tag),
      command: ['tor', '-f', '/etc/tor/torrc'],
      ports: [
        { name: 'socks', containerPort: SOCKS, protocol: 'TCP' },
        { name: 'control', containerPort: CONTROL, protocol: 'TCP' },
      ],
      resources: c.tor.resources,
      readinessProbe: { tcpSocket: { port: 'socks' }, initialDelaySeconds: 5, periodSeconds: 10 },
      livenessProbe: { tcpSocket: { port: 'socks' }, initialDelaySeconds: 30, periodSeconds: 30 },
      volumeMounts: [{ name: 'torrc', mountPath: '/etc/tor', readOnly: true }],
    },
    {
      user: TOR_UID,
      group: TOR_UID,
      writable: [{ path: '/var/lib/tor', name: 'tor-data', sizeLimit: '256Mi' }],
      volumes: [{ name: 'torrc', configMap: { name: TORRC } }],
    },
  );
}

/** One relay: its Deployment (gethrelay plus the Tor sidecar) and its own NodePort Service. */
function relay(c: GethrelayConfig, m: AppMetadata, mode: TorMode, n: number): KubeObject[] {
  const name = `${NAME}-${mode}-${n}`;
  const selector = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/instance': name };
  const meta = m.of(name, { labels: { 'app.kubernetes.io/instance': name, 'gethrelay/tor-mode': mode } });

  const gethrelay = hardenedContainer(
    {
      name: 'gethrelay',
      image: imageRef(c.image, c.version),
      args: [
        `--chain=${c.chain}`,
        `--tor-proxy=127.0.0.1:${SOCKS}`,
        ...(c.v5disc ? ['--v5disc'] : []),
        ...MODE_FLAGS[mode],
        `--maxpeers=${c.maxPeers}`,
        // gethrelay has no metrics flags of its own: geth's pprof listener serves /debug/metrics.
        '--pprof',
        '--pprof.addr=0.0.0.0',
        `--pprof.port=${METRICS}`,
      ],
      envFrom: [{ configMapRef: { name: CONFIG } }],
      ports: [
        { name: 'p2p', containerPort: P2P, protocol: 'TCP' },
        { name: 'discovery', containerPort: P2P, protocol: 'UDP' },
        { name: 'metrics', containerPort: METRICS, protocol: 'TCP' },
      ],
      resources: c.resources,
      readinessProbe: { tcpSocket: { port: 'p2p' }, initialDelaySeconds: 10, periodSeconds: 10 },
      livenessProbe: { tcpSocket: { port: 'p2p' }, initialDelaySeconds: 30, periodSeconds: 20 },
    },
    { user: RELAY_UID, group: RELAY_UID, writable: [{ path: '/tmp', sizeLimit: '64Mi' }] },
  );

  const deployment = new Deployment({
    metadata: meta,
    spec: {
      replicas: 1,
      // Never two pods of one relay at a time, not even during a rollout.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: meta.labels },
        // Two users in one pod, so each container names its own; the pod names none.
        spec: hardenedPodSpec({
          enableServiceLinks: false,
          hostNetwork: false,
          hostPID: false,
          hostIPC: false,
          containers: [torSidecar(c), gethrelay],
        }),
      },
    },
  });

  const nodePort = c.nodePorts[mode] + n;
  const service = new Service({
    metadata: meta,
    spec: {
      type: 'NodePort',
      // Local keeps each peer's own address: geth throttles inbound dials per source IP.
      externalTrafficPolicy: 'Local',
      selector,
      ports: [
        { name: 'p2p', port: P2P, targetPort: 'p2p', nodePort, protocol: 'TCP' },
        { name: 'discovery', port: P2P, targetPort: 'discovery', nodePort, protocol: 'UDP' },
      ],
    },
  });
  return [deployment, service];
}

/** Fails at generate time with the fix, not at apply time when the API server rejects a NodePort. */
function checkLayout(c: GethrelayConfig): void {
  const blocks = TOR_MODES.map((mode) => ({ mode, first: c.nodePorts[mode] + 1, last: c.nodePorts[mode] + c.relays[mode] }));
  for (const { mode, first, last } of blocks) {
    const count = c.relays[mode];
    if (!Number.isInteger(count) || count < 0) {
      throw new Error(`relays.${mode} is ${count}: give a whole number of relays (0 or more).`);
    }
    if (count > 0 && (first < 30000 || last > 32767)) {
      throw new Error(`relays of mode ${mode} would use NodePorts ${first}-${last}: move nodePorts.${mode} into 29999-${32767 - count}.`);
    }
    const clash = blocks.find((o) => o.mode !== mode && count > 0 && o.last >= o.first && first <= o.last && o.first <= last);
    if (clash) {
      throw new Error(
        `NodePorts ${first}-${last} of mode ${mode} overlap ${clash.first}-${clash.last} of mode ${clash.mode}: space nodePorts further apart.`,
      );
    }
  }
}

export function render(c: GethrelayConfig): KubeObject[] {
  checkLayout(c);
  // Every relay of every mode: discovery and network policy cover them all by m.selector.
  const m = appMetadata({ app: NAME, component: 'relay', namespace: c.namespace });
  // Generated by Kustomize with a hash suffix, so a changed value rolls every relay.
  const generated = (name: string) => m.of(name, { annotations: { [GENERATED_ANNOTATION]: 'configmap' } });

  const relays = TOR_MODES.flatMap((mode) => Array.from({ length: c.relays[mode] }, (_, i) => relay(c, m, mode, i + 1)).flat());

  return [
    new Namespace({
      metadata: {
        name: c.namespace,
        labels: { ...m.labels, 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' },
      },
    }),
    new ConfigMap({
      metadata: generated(CONFIG),
      data: { CHAIN: c.chain, MAX_PEERS: String(c.maxPeers), V5DISC: String(c.v5disc) },
    }),
    new ConfigMap({ metadata: generated(TORRC), data: { torrc: torrc() } }),
    ...relays,
    new Service({
      metadata: m.of(NAME),
      spec: {
        clusterIP: 'None',
        selector: m.selector,
        ports: [
          { name: 'p2p', port: P2P, targetPort: 'p2p', protocol: 'TCP' },
          { name: 'discovery', port: P2P, targetPort: 'discovery', protocol: 'UDP' },
          { name: 'metrics', port: METRICS, targetPort: 'metrics', protocol: 'TCP' },
        ],
      },
    }),
    // Everything in the namespace starts closed; the policy below opens what the relays need.
    defaultDenyPolicy(m.of('default-deny')),
    allowTraffic(m.of(NAME), {
      pods: m.selector,
      ingress: [
        // Peers dial in from anywhere, through the NodePorts or from the other relays.
        {
          ports: [
            { protocol: 'TCP', port: P2P },
            { protocol: 'UDP', port: P2P },
          ],
        },
        { from: [namespacePeer(c.networkPolicy.metricsNamespace)], ports: [{ protocol: 'TCP', port: METRICS }] },
      ],
      egress: [
        kubeDnsEgress(),
        // The other relays, found through the headless Service, live at private pod addresses.
        {
          to: [{ podSelector: { matchLabels: m.selector } }],
          ports: [
            { protocol: 'TCP', port: P2P },
            { protocol: 'UDP', port: P2P },
          ],
        },
        { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [...c.networkPolicy.privateRanges] } }] },
      ],
    }),
  ];
}
