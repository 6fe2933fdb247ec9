import { imageRef, type KubeObject } from '@strata/core';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { Service } from 'kubernetes-models/v1/Service';
import type { Resources, TensafeConfig } from './config.ts';

// The official postgres and redis images run as their own non-root user.
const DATA_UID = 999;

export const POSTGRES = 'tensafe-postgresql';
export const REDIS = 'tensafe-redis';
export const DB_SECRET = 'tensafe-db-secret';
export const REDIS_SECRET = 'tensafe-redis-secret';

type Meta = (name: string, component: string) => { name: string; namespace: string; labels: Record<string, string> };

const hardened = (c: IContainer, resources: Resources): IContainer => ({
  ...c,
  resources,
  securityContext: {
    runAsUser: DATA_UID,
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  },
});

function statefulSet(meta: Meta, name: string, component: string, replicas: number, storage: string, containers: IContainer[], scratch: string[], initContainers: IContainer[] = []) {
  const m = meta(name, component);
  return new StatefulSet({
    metadata: m,
    spec: {
      serviceName: `${name}-hl`,
      replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': component } },
      template: {
        metadata: { labels: m.labels },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsUser: DATA_UID, runAsGroup: DATA_UID, fsGroup: DATA_UID, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          ...(initContainers.length > 0 ? { initContainers } : {}),
          containers,
          volumes: scratch.map((v) => ({ name: v, emptyDir: {} })),
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } }],
    },
  });
}

function services(meta: Meta, name: string, component: string, port: number): Service[] {
  const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': component };
  const ports = [{ name: 'tcp', port, targetPort: 'tcp', protocol: 'TCP' as const }];
  return [
    new Service({ metadata: meta(name, component), spec: { type: 'ClusterIP', selector, ports } }),
    // Stable per-pod DNS names for the StatefulSet (replicas find the primary as <name>-0.<name>-hl).
    new Service({ metadata: meta(`${name}-hl`, component), spec: { clusterIP: 'None', selector, ports, publishNotReadyAddresses: true } }),
  ];
}

const secret = (name: string, key: string) => ({ secretKeyRef: { name, key } });

/** PostgreSQL as typed objects: a primary and, when asked, streaming-replication read replicas. */
export function postgres(c: TensafeConfig, meta: Meta): KubeObject[] {
  const p = c.postgres;
  const env = [
    { name: 'POSTGRES_DB', value: 'tensafe' },
    { name: 'POSTGRES_USER', valueFrom: secret(DB_SECRET, 'username') },
    { name: 'POSTGRES_PASSWORD', valueFrom: secret(DB_SECRET, 'password') },
    { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
  ];
  const probe = { exec: { command: ['sh', '-c', 'pg_isready -U "$POSTGRES_USER" -d tensafe -h 127.0.0.1'] }, periodSeconds: 10 };
  const mounts = [
    { name: 'data', mountPath: '/var/lib/postgresql/data' },
    { name: 'run', mountPath: '/var/run/postgresql' },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  const server = (extra: string[] = []): IContainer =>
    hardened(
      {
        name: 'postgresql',
        image: imageRef(p.image, p.image.tag),
        args: ['-c', 'wal_level=replica', '-c', 'max_wal_senders=10', '-c', 'hot_standby=on', ...extra],
        ports: [{ name: 'tcp', containerPort: 5432, protocol: 'TCP' }],
        env,
        readinessProbe: probe,
        livenessProbe: { ...probe, initialDelaySeconds: 30 },
        volumeMounts: mounts,
      },
      p.resources,
    );
  const objects: KubeObject[] = [statefulSet(meta, POSTGRES, 'database', 1, p.storage, [server()], ['run', 'tmp']), ...services(meta, POSTGRES, 'database', 5432)];
  if (p.readReplicas > 0) {
    const name = `${POSTGRES}-read`;
    // A replica starts from a base backup of the primary and then follows it as a hot standby.
    const bootstrap = hardened(
      {
        name: 'basebackup',
        image: imageRef(p.image, p.image.tag),
        command: ['sh', '-c', `[ -s "$PGDATA/PG_VERSION" ] || PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h ${POSTGRES}-0.${POSTGRES}-hl -U replicator -D "$PGDATA" -R -X stream`],
        env: [{ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' }, { name: 'REPLICATION_PASSWORD', valueFrom: secret(DB_SECRET, 'replication-password') }],
        volumeMounts: mounts,
      },
      p.resources,
    );
    objects.push(statefulSet(meta, name, 'database-read', p.readReplicas, p.storage, [server()], ['run', 'tmp'], [bootstrap]), ...services(meta, name, 'database-read', 5432));
  }
  return objects;
}

/** Redis as typed objects: standalone, or a primary with replicas that follow it. */
export function redis(c: TensafeConfig, meta: Meta): KubeObject[] {
  const r = c.redis;
  const server = (follow: boolean): IContainer =>
    hardened(
      {
        name: 'redis',
        image: imageRef(r.image, r.image.tag),
        command: ['sh', '-c', `exec redis-server --dir /data --requirepass "$REDIS_PASSWORD" --masterauth "$REDIS_PASSWORD"${follow ? ` --replicaof ${REDIS}-0.${REDIS}-hl 6379` : ''}`],
        ports: [{ name: 'tcp', containerPort: 6379, protocol: 'TCP' }],
        env: [{ name: 'REDIS_PASSWORD', valueFrom: secret(REDIS_SECRET, 'password') }],
        readinessProbe: { exec: { command: ['sh', '-c', 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG'] }, periodSeconds: 10 },
        livenessProbe: { tcpSocket: { port: 'tcp' }, initialDelaySeconds: 15, periodSeconds: 20 },
        volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'tmp', mountPath: '/tmp' }],
      },
      r.resources,
    );
  const objects: KubeObject[] = [statefulSet(meta, REDIS, 'cache', 1, r.storage, [server(false)], ['tmp']), ...services(meta, REDIS, 'cache', 6379)];
  if (r.replicas > 0) {
    const name = `${REDIS}-replica`;
    objects.push(statefulSet(meta, name, 'cache-replica', r.replicas, r.storage, [server(true)], ['tmp']), ...services(meta, name, 'cache-replica', 6379));
  }
  return objects;
}
