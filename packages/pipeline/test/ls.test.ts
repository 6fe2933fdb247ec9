import { describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import { describeOverlay, formatRows, shortImage } from '../src/ls.ts';

const m = (kind: string, name: string, spec: Record<string, unknown>): Manifest => ({ apiVersion: 'v1', kind, metadata: { name }, spec }) as Manifest;
const pod = (image: string) => ({ containers: [{ name: 'app', image }], initContainers: [{ name: 'migrate', image: `${image}-migrate` }] });

describe('describeOverlay', () => {
  it('reads hosts from Ingresses, Gateway API routes and Traefik IngressRoutes', () => {
    const row = describeOverlay(
      'a',
      'prod',
      [
        m('Ingress', 'i', { rules: [{ host: 'a.example.com' }], tls: [{ hosts: ['a.example.com', 'tls.example.com'] }] }),
        m('HTTPRoute', 'r', { hostnames: ['route.example.com'] }),
        m('IngressRoute', 't', { routes: [{ match: 'Host(`t1.example.com`, `t2.example.com`) && PathPrefix(`/api`)' }] }),
      ],
      [],
    );
    expect(row.hosts).toStrictEqual(['a.example.com', 'route.example.com', 't1.example.com', 't2.example.com', 'tls.example.com']);
  });

  it("takes KEDA's defaults for a ScaledObject that leaves its range out, and every pod-bearing kind's images", () => {
    const row = describeOverlay(
      'a',
      'dev',
      [
        m('Deployment', 'web', { template: { spec: pod('r/web:1') } }),
        m('ScaledObject', 'web', { scaleTargetRef: { name: 'web' } }),
        m('CronJob', 'nightly', { jobTemplate: { spec: { template: { spec: pod('r/job@sha256:ab') } } } }),
        m('StatefulSet', 'db', { replicas: 3, template: { spec: pod('r/db:16') } }),
      ],
      ['gpu'],
    );
    expect(row.scale).toStrictEqual([
      { workload: 'Deployment/web', autoscaling: { by: 'ScaledObject/web', min: 0, max: 100 } },
      { workload: 'StatefulSet/db', replicas: 3 },
    ]);
    expect(row.images.map((i) => `${i.workload} ${i.container} ${i.image}`)).toStrictEqual([
      'Deployment/web migrate r/web:1-migrate',
      'Deployment/web app r/web:1',
      'CronJob/nightly migrate r/job@sha256:ab-migrate',
      'CronJob/nightly app r/job@sha256:ab',
      'StatefulSet/db migrate r/db:16-migrate',
      'StatefulSet/db app r/db:16',
    ]);
    expect(formatRows([row])[1]).toMatch(/^a\s+dev\s+r\/web:1-migrate .*web=0-100 db=3\s+-\s+gpu$/);
  });
});

describe('formatRows', () => {
  const digest = 'sha256:4f6d1c0e2b7a9d3c5e8f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d';
  const row = describeOverlay(
    'relay',
    'prod',
    [
      m('Deployment', 'relay', {
        template: {
          spec: {
            containers: [
              { name: 'app', image: `ghcr.io/t/relay@${digest}` },
              { name: 'proxy', image: `registry.local:5000/envoy:1.31@${digest}` },
              { name: 'tool', image: 'busybox:1.36' },
            ],
          },
        },
      }),
    ],
    [],
  );

  it('cuts each digest to 12 hex digits by default, and prints it whole when wide', () => {
    expect(formatRows([row])[1]).toContain('ghcr.io/t/relay@sha256:4f6d1c0e2b7a… registry.local:5000/envoy:1.31@sha256:4f6d1c0e2b7a… busybox:1.36');
    expect(formatRows([row])[1]).not.toContain(digest);
    expect(formatRows([row], { wide: true })[1]).toContain(`ghcr.io/t/relay@${digest} registry.local:5000/envoy:1.31@${digest} busybox:1.36`);
  });

  it('leaves a tag, a port and a short digest as they are', () => {
    for (const image of ['r/web:1', 'registry.local:5000/web', 'r/web@sha256:abc', `r/web:${'a'.repeat(64)}`]) expect(shortImage(image)).toBe(image);
  });
});
