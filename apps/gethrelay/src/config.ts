import type { ImageSource } from '@strata/core';

/**
 * How a relay uses Tor. `default` dials .onion peers through Tor and everyone else directly,
 * `prefer-tor` takes a peer's .onion address whenever it has one, `only-onion` refuses clearnet peers.
 */
export type TorMode = 'default' | 'prefer-tor' | 'only-onion';

/** The order relays are rendered and listed in. */
export const TOR_MODES: readonly TorMode[] = ['default', 'prefer-tor', 'only-onion'];

export interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface GethrelayConfig {
  /** Release of gethrelay; the image tag when the image names neither tag nor digest. */
  readonly version: string;
  readonly namespace: string;
  readonly image: ImageSource;
  /**
   * How many relays run in each Tor mode. Each relay is its own single-replica Deployment named
   * `gethrelay-<mode>-<n>`: a P2P node's key is its identity, so a relay never scales sideways.
   */
  readonly relays: Readonly<Record<TorMode, number>>;
  /**
   * The NodePort block of each mode: relay `n` of a mode listens on `block + n`, TCP and UDP. Fixed
   * ports keep firewall rules and peers' address books valid when a Service is re-created.
   */
  readonly nodePorts: Readonly<Record<TorMode, number>>;
  /** Chain preset, `--chain` and `CHAIN` in `gethrelay-config`. */
  readonly chain: 'mainnet' | 'holesky' | 'sepolia';
  /** Peer limit of each relay, `--maxpeers` and `MAX_PEERS` in `gethrelay-config`. */
  readonly maxPeers: number;
  /** Discovery v5, `--v5disc` and `V5DISC` in `gethrelay-config`. */
  readonly v5disc: boolean;
  readonly resources: Resources;
  /** The Tor sidecar that gives each relay its SOCKS5 proxy on 127.0.0.1:9050. */
  readonly tor: {
    /** Tor has its own release line, so a tag is always named; a digest, when given, pins it (`repo:tag@digest`). */
    readonly image: ImageSource & { readonly tag: string };
    readonly resources: Resources;
  };
  readonly networkPolicy: {
    /** Namespace of the Prometheus that scrapes port 6060. */
    readonly metricsNamespace: string;
    /**
     * Ranges closed to egress. Peers and Tor relays sit anywhere on the internet on any port, so
     * egress is open except for these: a relay has no business inside the cluster or the private network.
     */
    readonly privateRanges: readonly string[];
  };
}

export const defaults: GethrelayConfig = {
  version: '1.0.0',
  namespace: 'gethrelay',
  image: { repository: 'ghcr.io/ethereum/gethrelay' },
  relays: { default: 3, 'prefer-tor': 4, 'only-onion': 3 },
  nodePorts: { default: 30310, 'prefer-tor': 30320, 'only-onion': 30330 },
  chain: 'mainnet',
  maxPeers: 200,
  v5disc: true,
  resources: {
    requests: { cpu: '200m', memory: '256Mi' },
    limits: { cpu: '1000m', memory: '1Gi' },
  },
  tor: {
    image: { repository: 'alpine/tor', tag: '0.4.8.16' },
    resources: {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '512Mi' },
    },
  },
  networkPolicy: {
    metricsNamespace: 'monitoring',
    privateRanges: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
  },
};
