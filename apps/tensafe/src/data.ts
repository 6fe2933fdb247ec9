import {
  hardenedContainer,
  hardenedPodSpec,
  imageRef,
  type ContainerSpec,
  type HardenedContainer,
  type KubeObject,
  type ObjectMetadata,
  type WritablePath,
} from '@strata/core';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import { Service } from 'kubernetes-models/v1/Service';
import type { Resources, TensafeConfig } from './config.ts';

// The official postgres and redis images run as their own non-root user.
const DATA_UID = 999;

export const POSTGRES = 'tensafe-postgresql';
export const REDIS = 'tensafe-redis';
export const DB_SECRET = 'tensafe-db-secret';
export const REDIS_SECRET = 'tensafe-redis-secret';
const POSTGRES_INIT = `${POSTGRES}-init`;

/** Object metadata: `family` becomes `app.kubernetes.io/name`, `component` the role within it. */
export type Meta = (name: string, family: string, component: string) => ObjectMetadata;

/** One StatefulSet of a data store: the primary, or the set of pods that follow it. */
interface Member {
  readonly name: string;
  readonly family: string;
  readonly component: string;
  readonly replicas: number;
  readonly storage: string;
  readonly containers: HardenedContainer[];
  readonly initContainers?: HardenedContainer[];
  readonly port: number;
}

/** The data on the claim template, the rest of what the server writes on emptyDirs; the pod's context carries seccomp. */
const server = (c: ContainerSpec, resources: Resources, writable: readonly WritablePath[], volumes: readonly IVolume[] = []): HardenedContainer =>
  hardenedContainer({ ...c, resources }, { user: DATA_UID, standalone: false, writable, volumes });

/** A StatefulSet with its claim template, a ClusterIP Service and the headless Service that names its pods. */
function member(meta: Meta, m: Member): KubeObject[] {
  const selector = { 'app.kubernetes.io/name': m.family, 'app.kubernetes.io/component': m.component };
  const ports = [{ name: 'tcp', port: m.port, targetPort: 'tcp', protocol: 'TCP' as const }];
  return [
    new StatefulSet({
      metadata: meta(m.name, m.family, m.component),
      spec: {
        serviceName: `${m.name}-hl`,
        replicas: m.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: meta(m.name, m.family, m.component).labels },
          spec: hardenedPodSpec({
            runAs: { user: DATA_UID },
            ...(m.initContainers ? { initContainers: m.initContainers } : {}),
            containers: m.containers,
          }),
        },
        volumeClaimTemplates: [
          { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: m.storage } } } },
        ],
      },
    }),
    new Service({ metadata: meta(m.name, m.family, m.component), spec: { type: 'ClusterIP', selector, ports } }),
    // Stable per-pod DNS names: followers find the primary as <name>-0.<name>-hl.
    new Service({
      metadata: meta(`${m.name}-hl`, m.family, m.component),
      spec: { clusterIP: 'None', selector, ports, publishNotReadyAddresses: true },
    }),
  ];
}

const secret = (name: string, key: string) => ({ secretKeyRef: { name, key } });

// The image's entrypoint sources this once, when the primary initialises its data directory (under
// its own `set -e`). It is there even without read replicas so that replicas added later find the
// role and the pg_hba entry they need.
const REPLICATION_INIT = `psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --set pw="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'pw';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
`;

/** PostgreSQL as typed objects: a primary and, when asked, streaming-replication read replicas. */
export function postgres(c: TensafeConfig, meta: Meta): KubeObject[] {
  const p = c.postgres;
  const pgdata = { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' };
  const replicationPassword = { name: 'REPLICATION_PASSWORD', valueFrom: secret(DB_SECRET, 'replication-password') };
  const probe = { exec: { command: ['sh', '-c', 'pg_isready -U "$POSTGRES_USER" -d tensafe -h 127.0.0.1'] }, periodSeconds: 10 };
  const writable: WritablePath[] = [
    { path: '/var/lib/postgresql/data', name: 'data', claimTemplate: true },
    { path: '/var/run/postgresql', name: 'run' },
    { path: '/tmp' },
  ];
  const postgresql = (primary: boolean): HardenedContainer =>
    server(
      {
        name: 'postgresql',
        image: imageRef(p.image, p.image.tag),
        args: ['-c', 'wal_level=replica', '-c', 'max_wal_senders=10', '-c', 'hot_standby=on'],
        ports: [{ name: 'tcp', containerPort: 5432, protocol: 'TCP' }],
        env: [
          { name: 'POSTGRES_DB', value: 'tensafe' },
          { name: 'POSTGRES_USER', valueFrom: secret(DB_SECRET, 'username') },
          { name: 'POSTGRES_PASSWORD', valueFrom: secret(DB_SECRET, 'password') },
          pgdata,
          ...(primary ? [replicationPassword] : []),
        ],
        readinessProbe: probe,
        livenessProbe: { ...probe, initialDelaySeconds: 30 },
        ...(primary ? { volumeMounts: [{ name: 'init', mountPath: '/docker-entrypoint-initdb.d', readOnly: true }] } : {}),
      },
      p.resources,
      writable,
      primary ? [{ name: 'init', configMap: { name: POSTGRES_INIT } }] : [],
    );

  const objects: KubeObject[] = [
    new ConfigMap({ metadata: meta(POSTGRES_INIT, POSTGRES, 'primary'), data: { '10-replication.sh': REPLICATION_INIT } }),
    ...member(meta, {
      name: POSTGRES,
      family: POSTGRES,
      component: 'primary',
      replicas: 1,
      storage: p.storage,
      containers: [postgresql(true)],
      port: 5432,
    }),
  ];
  if (p.readReplicas > 0) {
    // A replica starts from a base backup of the primary (-R writes standby.signal) and then follows it as a hot standby.
    const basebackup = server(
      {
        name: 'basebackup',
        image: imageRef(p.image, p.image.tag),
        command: [
          'sh',
          '-c',
          `[ -s "$PGDATA/PG_VERSION" ] || PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h ${POSTGRES}-0.${POSTGRES}-hl -U replicator -D "$PGDATA" -R -X stream`,
        ],
        env: [pgdata, replicationPassword],
      },
      p.resources,
      writable,
    );
    objects.push(
      ...member(meta, {
        name: `${POSTGRES}-read`,
        family: POSTGRES,
        component: 'read-replica',
        replicas: p.readReplicas,
        storage: p.storage,
        containers: [postgresql(false)],
        initContainers: [basebackup],
        port: 5432,
      }),
    );
  }
  return objects;
}

/** Redis as typed objects: standalone, or a primary with replicas that follow it. */
export function redis(c: TensafeConfig, meta: Meta): KubeObject[] {
  const r = c.redis;
  const redisServer = (follow: boolean): HardenedContainer =>
    server(
      {
        name: 'redis',
        image: imageRef(r.image, r.image.tag),
        command: [
          'sh',
          '-c',
          `exec redis-server --dir /data --requirepass "$REDIS_PASSWORD" --masterauth "$REDIS_PASSWORD"${follow ? ` --replicaof ${REDIS}-0.${REDIS}-hl 6379` : ''}`,
        ],
        ports: [{ name: 'tcp', containerPort: 6379, protocol: 'TCP' }],
        env: [{ name: 'REDIS_PASSWORD', valueFrom: secret(REDIS_SECRET, 'password') }],
        readinessProbe: {
          exec: { command: ['sh', '-c', 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG'] },
          periodSeconds: 10,
        },
        livenessProbe: { tcpSocket: { port: 'tcp' }, initialDelaySeconds: 15, periodSeconds: 20 },
      },
      r.resources,
      [{ path: '/data', claimTemplate: true }, { path: '/tmp' }],
    );
  const common = { family: REDIS, storage: r.storage, port: 6379 };
  return [
    ...member(meta, { ...common, name: REDIS, component: 'primary', replicas: 1, containers: [redisServer(false)] }),
    ...(r.replicas > 0
      ? member(meta, { ...common, name: `${REDIS}-replica`, component: 'replica', replicas: r.replicas, containers: [redisServer(true)] })
      : []),
  ];
}
