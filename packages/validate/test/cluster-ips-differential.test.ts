import { describe, expect, it } from 'vitest';
import type { Manifest } from '@strata/core';
import type { Problem } from '@strata/project';
import { verify } from '@strata/verify';
import type { DifferentialServer } from '../../policy/test/differential.ts';
import { BUILD_TIMEOUT } from '../../verify/test/helpers.ts';
import { createInApplyOrder, suiteDifferential } from './apply-order.ts';
import { validate } from '../src/index.ts';

/**
 * Cluster IPs two Services of one cluster ask for: every Service of the corpus is created for real,
 * env by env (each a cluster of its own), its apps by name and each file's objects in order, on a
 * dual-stack kube-apiserver, as a sync creates them; what its allocator refuses ("provided IP is
 * already allocated") must be what `validate` (offline, the pipeline's rule too) and `verify`
 * refuse, document by document, at the field and in the same words.
 */

const service = (name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Manifest =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'ips', ...(annotations ? { annotations } : {}) },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80 }], ...spec },
  }) as Manifest;

const v4 = (ip: string) => ({ clusterIP: ip });
const dual = (...ips: string[]) => ({ clusterIP: ips[0], clusterIPs: ips, ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] });
const v6 = (ip: string, spelt: 'clusterIP' | 'clusterIPs' = 'clusterIP') => ({
  ...(spelt === 'clusterIP' ? { clusterIP: ip } : { clusterIP: ip, clusterIPs: [ip] }),
  ipFamilies: ['IPv6'],
  ipFamilyPolicy: 'SingleStack',
});

/** `<env>/<app>` -> its built output. */
const CORPUS: Record<string, readonly Manifest[]> = {
  // Two apps of one env on one IP: b, after a, is refused.
  'dev/a': [service('ip-a', v4('10.96.100.10'))],
  'dev/b': [service('ip-b', v4('10.96.100.10'))],
  // Two Services of one file: the first keeps the IP.
  'dev/pair': [service('first', v4('10.96.100.11')), service('second', v4('10.96.100.11'))],
  // clusterIPs (which the server wants with clusterIP) asks as clusterIP does.
  'dev/plural': [service('plural', { clusterIP: '10.96.100.12', clusterIPs: ['10.96.100.12'] })],
  'dev/singular': [service('singular', v4('10.96.100.12'))],
  // Headless Services and ExternalName ones ask for no IP.
  'dev/headless': [
    service('headless-a', v4('None')),
    service('headless-b', v4('None')),
    service('headless-c', { clusterIP: 'None', clusterIPs: ['None'] }),
  ],
  'dev/external': [service('ext-a', { type: 'ExternalName', externalName: 'a.example.com', ports: undefined })],
  // Left to the server to choose: never a clash.
  'dev/chosen': [service('chosen-a', {}), service('chosen-b', v4(''))],
  // IPv6, spelt otherwise: one address.
  'dev/six': [service('six-a', v6('fd00:10:96::a'))],
  'dev/six-b': [service('six-b', v6('fd00:10:96:0:0::a'))],
  'dev/six-c': [service('six-c', v6('fd00:10:96::A', 'clusterIPs'))],
  // Dual-stack: the second family's IP taken, named at its entry of clusterIPs.
  'dev/ds': [service('ds', dual('10.96.100.13', 'fd00:10:96::d'))],
  'dev/ds-later': [service('ds-later', v6('fd00:10:96::d'))],
  // Refused for its IPv4 address, whichever family the allocator tries first. (Whether it then holds
  // the IPv6 one varies from run to run on the server, so nothing here asks for that one.)
  'dev/ds-refused': [service('ds-refused', dual('10.96.100.10', 'fd00:10:96::e'))],
  // A NodePort or LoadBalancer Service takes a cluster IP as any other.
  'dev/np': [service('np', { ...v4('10.96.100.14'), type: 'NodePort' })],
  'dev/np-b': [service('np-b', { ...v4('10.96.100.14'), type: 'LoadBalancer' })],
  // A Service Argo CD never applies holds no IP: skip-taker takes it.
  'dev/skip': [service('skipped', v4('10.96.100.15'), { 'argocd.argoproj.io/hook': 'Skip' })],
  'dev/skip-taker': [service('skip-taker', v4('10.96.100.15'))],
  // Another env is another cluster: dev's IP again, and a clash of prod's own.
  'staging/a': [service('ip-a', v4('10.96.100.10'))],
  'prod/x': [service('ip-x', v4('10.96.100.10'))],
  'prod/y': [service('ip-y', v4('10.96.100.10'))],
};

/** The real cluster's verdict: [file, name, the allocator's words] of each Service refused for a taken IP, and what else it refused. */
interface Verdicts {
  readonly taken: string[][];
  readonly other: string[][];
}

async function createAll(server: DifferentialServer): Promise<Verdicts> {
  const taken: string[][] = [];
  const other: string[][] = [];
  for (const [file, name, message] of await createInApplyOrder(server, CORPUS, 'ips')) {
    const words = /spec\.clusterIPs: (Invalid value: .*provided IP is already allocated)/.exec(message!)?.[1];
    (words ? taken : other).push([file!, name!, words ?? message!]);
  }
  return { taken, other };
}

/** The refusals of taken cluster IPs among a run's problems, as [file, name, words]. */
const takenOf = (problems: readonly Problem[]) =>
  problems
    .filter((p) => p.message.includes('provided IP is already allocated'))
    .map((p) => [p.file, p.name ?? '', p.message.replace(/ \(to Service .*$/, '')]);

const suite = suiteDifferential(CORPUS, createAll, { server: { serviceClusterIpRanges: ['10.96.0.0/16', 'fd00:10:96::/112'] } });

describe('cluster IPs offline, in verify and on a real cluster', () => {
  it('the cluster refuses what it should, for taken IPs only', () => {
    expect(suite.real.other).toStrictEqual([]);
    expect(suite.real.taken).toStrictEqual([
      ['dist/dev/b.yaml', 'ip-b', 'Invalid value: ["10.96.100.10"]: failed to allocate IP 10.96.100.10: provided IP is already allocated'],
      [
        'dist/dev/ds-later.yaml',
        'ds-later',
        'Invalid value: ["fd00:10:96::d"]: failed to allocate IP fd00:10:96::d: provided IP is already allocated',
      ],
      [
        'dist/dev/ds-refused.yaml',
        'ds-refused',
        'Invalid value: ["10.96.100.10","fd00:10:96::e"]: failed to allocate IP 10.96.100.10: provided IP is already allocated',
      ],
      ['dist/dev/np-b.yaml', 'np-b', 'Invalid value: ["10.96.100.14"]: failed to allocate IP 10.96.100.14: provided IP is already allocated'],
      ['dist/dev/pair.yaml', 'second', 'Invalid value: ["10.96.100.11"]: failed to allocate IP 10.96.100.11: provided IP is already allocated'],
      ['dist/dev/singular.yaml', 'singular', 'Invalid value: ["10.96.100.12"]: failed to allocate IP 10.96.100.12: provided IP is already allocated'],
      [
        'dist/dev/six-b.yaml',
        'six-b',
        'Invalid value: ["fd00:10:96:0:0::a"]: failed to allocate IP fd00:10:96:0:0::a: provided IP is already allocated',
      ],
      ['dist/dev/six-c.yaml', 'six-c', 'Invalid value: ["fd00:10:96::A"]: failed to allocate IP fd00:10:96::A: provided IP is already allocated'],
      ['dist/prod/y.yaml', 'ip-y', 'Invalid value: ["10.96.100.10"]: failed to allocate IP 10.96.100.10: provided IP is already allocated'],
    ]);
  });

  it(
    'validate refuses the same Services in the same words, at the field written, naming the Service that holds the IP',
    async () => {
      const offline = await validate(suite.repo, ['dist'], { policy: false });
      expect(takenOf(offline.problems)).toStrictEqual(suite.real.taken);
      expect(offline.problems.filter((p) => !p.message.includes('provided IP is already allocated'))).toStrictEqual([]);
      const at = (name: string) => offline.problems.find((p) => p.name === name)!;
      expect([at('ip-b').path, at('ip-b').line, at('ip-b').rule, at('ip-b').message.replace(/^.*\(to /, '')]).toStrictEqual([
        'spec.clusterIP',
        12,
        'server-validation',
        'Service ips/ip-a, dist/dev/a.yaml:12, applied first: the cluster creates that one and refuses this one; a dry run lets both through)',
      ]);
      expect([
        at('ds-later').path,
        at('ds-later')
          .message.replace(/^.*\(to /, '')
          .split(',')
          .slice(0, 2),
      ]).toStrictEqual(['spec.clusterIP', ['Service ips/ds', ' dist/dev/ds.yaml:15']]);
      expect([
        at('second').path,
        at('second')
          .message.replace(/^.*\(to /, '')
          .split(',')[1],
      ]).toStrictEqual(['spec.clusterIP', ' line 12 of this file']);
    },
    BUILD_TIMEOUT,
  );

  it(
    'verify, whose dry runs take no IP, refuses the same Services in the same words',
    async () => {
      const r = await verify(suite.repo, { server: suite.server.server });
      expect(takenOf(r.problems)).toStrictEqual(suite.real.taken);
      // Beside the server's warnings on IPv6 addresses that are not written canonically.
      expect(r.problems.filter((p) => p.severity === 'error' && !p.message.includes('provided IP is already allocated'))).toStrictEqual([]);
    },
    BUILD_TIMEOUT,
  );
});
