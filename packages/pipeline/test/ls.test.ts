import { describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import { describeOverlay, formatRows } from '../src/ls.ts';

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
