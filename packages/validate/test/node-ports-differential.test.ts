import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Problem } from '@strata/project';
import { ensureHelper } from '@strata/server-validation';
import { readBuilt, verify, verifyDocuments } from '@strata/verify';
import { BUILD_TIMEOUT, lineOf, nodePortService, repoWithServer } from '../../verify/test/helpers.ts';
import { namesAsTyped, parseInputs, renamedAsTyped, validate } from '../src/index.ts';

/**
 * Node ports two Services of one cluster ask for: the offline verdicts of `validate` (the pipeline's
 * too) against those of `verify`, whose API server is real. The corpus below, one workspace of built
 * output, holds the cases the allocator tells apart; every refusal at a node port field must be the
 * same at the same line in the same words, and nothing else may differ.
 */

const local = (healthCheckNodePort: number) => ({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort });

/** `<env>/<app>` -> the objects of its built output; apps are applied by name within an env, each env a cluster of its own. */
const CORPUS: Record<string, readonly object[]> = {
  // Two apps of one env on one port: web, after api, is refused its second port.
  'dev/api': [nodePortService('api', 'shop', [{ port: 80, nodePort: 30080 }])],
  'dev/web': [
    nodePortService('web', 'shop', [
      { port: 8443, nodePort: 30443 },
      { port: 80, nodePort: 30080 },
    ]),
  ],
  // TCP and UDP of one port share one node port; UDP of another Service on it is refused.
  'dev/dns': [
    nodePortService('dns', 'ports', [
      { port: 53, protocol: 'TCP', nodePort: 30053 },
      { port: 53, protocol: 'UDP', nodePort: 30053 },
    ]),
  ],
  'dev/udp': [nodePortService('udp', 'ports', [{ port: 80, protocol: 'UDP', nodePort: 30053 }])],
  // A health check node port holds a number a later node port asks for; lb is refused, so holds
  // neither of its ports, and np takes the health check port lb asked for.
  'dev/health': [nodePortService('health', 'ports', [{ port: 80 }], local(30061))],
  'dev/lb': [nodePortService('lb', 'ports', [{ port: 80, nodePort: 30061 }], local(30060))],
  'dev/np': [nodePortService('np', 'ports', [{ port: 80, nodePort: 30060 }])],
  // A health check node port another Service holds as a node port.
  'dev/np2': [nodePortService('np2', 'ports', [{ port: 80, nodePort: 30062 }])],
  'dev/np3': [nodePortService('np3', 'ports', [{ port: 80, nodePort: 30063 }], local(30062))],
  // Refused for the range, so it holds nothing: taker gets 30070.
  'dev/range': [
    nodePortService('range', 'ports', [
      { port: 80, nodePort: 8080 },
      { port: 81, nodePort: 30070 },
    ]),
  ],
  'dev/taker': [nodePortService('taker', 'ports', [{ port: 81, nodePort: 30070 }])],
  // Two Services in one file: the first keeps the port.
  'dev/pair': [nodePortService('first', 'pair', [{ port: 80, nodePort: 30071 }]), nodePortService('second', 'pair', [{ port: 80, nodePort: 30071 }])],
  // Apps by name: a before a-b, whatever their files' names.
  'dev/a-b': [nodePortService('ab', 'order', [{ port: 80, nodePort: 30072 }])],
  'dev/a': [nodePortService('a', 'order', [{ port: 80, nodePort: 30072 }])],
  // A LoadBalancer that allocates no node ports still takes the one it names.
  'dev/noalloc': [
    nodePortService(
      'noalloc',
      'ports',
      [
        { port: 80, nodePort: 30073 },
        { port: 81, protocol: 'UDP' },
      ],
      { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false },
    ),
  ],
  'dev/other': [nodePortService('other', 'ports', [{ port: 80, nodePort: 30073 }])],
  // A health check node port comes from the same pool as the Service's own node ports: one of its
  // own is refused, so the Service holds neither, and selftaker takes the number.
  'dev/self': [nodePortService('self', 'health', [{ port: 80, nodePort: 30090 }], local(30090))],
  'dev/selftaker': [nodePortService('selftaker', 'health', [{ port: 80, nodePort: 30090 }])],
  // The same when the LoadBalancer allocates no node ports but names one.
  'dev/noallocself': [
    nodePortService('noallocself', 'health', [{ port: 80, nodePort: 30093 }], { ...local(30093), allocateLoadBalancerNodePorts: false }),
  ],
  // Two health check node ports on one number: the second is refused. Port 80's node port is drawn
  // before 30091 is taken; a draw of 30091 is the server's chance, not a verdict (see the helper's test).
  'dev/hc1': [nodePortService('hc1', 'health', [{ port: 80 }], local(30091))],
  'dev/hc2': [nodePortService('hc2', 'health', [{ port: 80 }], local(30091))],
  // A health check node port outside the range, refused when the Service is created (a dry run lets it through).
  'dev/hcrange': [nodePortService('hcrange', 'health', [{ port: 80 }], local(40000))],
  // Refused for a node port outside the range before its health check node port is looked at: it holds neither.
  'dev/hcafter': [nodePortService('hcafter', 'health', [{ port: 80, nodePort: 40001 }], local(30092))],
  'dev/hctaker': [nodePortService('hctaker', 'health', [{ port: 80, nodePort: 30092 }])],
  // Both outside the range: the create stops at the node port.
  'dev/hcboth': [nodePortService('hcboth', 'health', [{ port: 80, nodePort: 40002 }], local(40003))],
  // A Service Argo CD never applies holds no port and is refused none: skiptaker takes skipped's
  // port, and nohook (a hook of no phase Argo CD runs) asks for the one skipheld keeps.
  'dev/skipped': [nodePortService('skipped', 'argo', [{ port: 80, nodePort: 30074 }], {}, { 'argocd.argoproj.io/hook': 'Skip' })],
  'dev/skiptaker': [nodePortService('skiptaker', 'argo', [{ port: 80, nodePort: 30074 }])],
  'dev/skipheld': [nodePortService('skipheld', 'argo', [{ port: 80, nodePort: 30075 }])],
  'dev/skipnohook': [nodePortService('skipnohook', 'argo', [{ port: 80, nodePort: 30075 }], {}, { 'helm.sh/hook': 'test' })],
  // Other envs are other clusters: dev's ports again, and one clash of prod's own.
  'staging/api': [nodePortService('api', 'shop', [{ port: 80, nodePort: 30080 }])],
  'staging/web': [nodePortService('web', 'shop', [{ port: 8443, nodePort: 30443 }])],
  'prod/web': [nodePortService('web', 'shop', [{ port: 80, nodePort: 30080 }])],
  'prod/zeta': [nodePortService('zeta', 'shop', [{ port: 80, nodePort: 30080 }])],
};

/** The refusals at node port fields that a cluster makes when it creates the Services, as comparable rows; the rest of a run's problems apart. */
function verdicts(problems: readonly Problem[]) {
  const atPort = (p: Problem) => p.severity === 'error' && /(^|\.)(ports\[\d+\]\.nodePort|healthCheckNodePort)$/.test(p.path ?? '');
  // verify says why its dry run let a range refusal through; the server's words come first.
  const words = (m: string) =>
    m.includes('already allocated') ? m : m.replace(/ \(the server refuses it when it creates the Service; a dry run lets it through\)$/, '');
  return {
    refused: problems.filter(atPort).map((p) => [p.file, p.line, p.namespace, p.name, p.path, words(p.message)]),
    rest: problems.filter((p) => !atPort(p)).map((p) => [p.file, p.line, p.name, p.path, p.message]),
  };
}

const live = repoWithServer(CORPUS, ensureHelper);

describe('node ports offline and on the real API server', () => {
  it(
    "refuses the same Services at the same fields' lines in the same words as verify, over every env's built output",
    async () => {
      const { repo, server } = live;
      const offline = await validate(repo, ['dist'], { policy: false });
      const real = await verify(repo, { server });
      expect(verdicts(offline.problems)).toStrictEqual(verdicts(real.problems));
      expect(offline.problems.filter((p) => p.message.includes('already allocated')).every((p) => p.rule === 'server-validation')).toBe(true);
      // The corpus is judged, not merely agreed upon: who is refused, and for what.
      expect(
        verdicts(offline.problems).refused.map(([file, , , name, path, message]) => [file, name, path, String(message).split(':')[0]]),
      ).toStrictEqual([
        ['dist/dev/a-b.yaml', 'ab', 'spec.ports[0].nodePort', 'Invalid value'],
        ['dist/dev/hc2.yaml', 'hc2', 'spec.healthCheckNodePort', 'failed to allocate requested HealthCheck NodePort 30091'],
        ['dist/dev/hcafter.yaml', 'hcafter', 'spec.ports[0].nodePort', 'Invalid value'],
        ['dist/dev/hcboth.yaml', 'hcboth', 'spec.ports[0].nodePort', 'Invalid value'],
        ['dist/dev/hcrange.yaml', 'hcrange', 'spec.healthCheckNodePort', 'failed to allocate requested HealthCheck NodePort 40000'],
        ['dist/dev/lb.yaml', 'lb', 'spec.ports[0].nodePort', 'Invalid value'],
        ['dist/dev/noallocself.yaml', 'noallocself', 'spec.healthCheckNodePort', 'failed to allocate requested HealthCheck NodePort 30093'],
        ['dist/dev/np3.yaml', 'np3', 'spec.healthCheckNodePort', 'failed to allocate requested HealthCheck NodePort 30062'],
        ['dist/dev/other.yaml', 'other', 'spec.ports[0].nodePort', 'Invalid value'],
        ['dist/dev/pair.yaml', 'second', 'spec.ports[0].nodePort', 'Invalid value'],
        ['dist/dev/range.yaml', 'range', 'spec.ports[0].nodePort', 'Invalid value'],
        ['dist/dev/self.yaml', 'self', 'spec.healthCheckNodePort', 'failed to allocate requested HealthCheck NodePort 30090'],
        ['dist/dev/udp.yaml', 'udp', 'spec.ports[0].nodePort', 'Invalid value'],
        ['dist/dev/web.yaml', 'web', 'spec.ports[1].nodePort', 'Invalid value'],
        ['dist/prod/zeta.yaml', 'zeta', 'spec.ports[0].nodePort', 'Invalid value'],
      ]);
    },
    BUILD_TIMEOUT,
  );

  it(
    'agrees on named files too, taken together as one cluster in their order',
    async () => {
      const { repo, server } = live;
      const dev = Object.entries(CORPUS)
        .filter(([where]) => where.startsWith('dev/'))
        .flatMap(([, objects]) => objects);
      const text = dev.map((o) => stringify(o)).join('---\n');
      writeFileSync(join(repo, 'named.yaml'), text);
      const offline = await validate(repo, ['named.yaml'], { policy: false });
      const real = await verifyDocuments(readBuilt(text, 'named.yaml'), { server, root: repo });
      expect(verdicts(offline.problems)).toStrictEqual(verdicts(real.problems));
      expect(verdicts(offline.problems).refused.length).toBeGreaterThan(5);
    },
    BUILD_TIMEOUT,
  );

  it(
    'names the file of the Service that keeps the port as typed from a subfolder, in the same words as verify',
    async () => {
      const { repo, server } = live;
      mkdirSync(join(repo, 'here'), { recursive: true });
      mkdirSync(join(repo, 'there'), { recursive: true });
      writeFileSync(join(repo, 'there', 'held.yaml'), stringify(nodePortService('held', 'typed', [{ port: 80, nodePort: 30099 }])));
      writeFileSync(join(repo, 'here', 'asks.yaml'), stringify(nodePortService('asks', 'typed', [{ port: 80, nodePort: 30099 }])));
      const inputs = ['../there/held.yaml', 'asks.yaml'];
      const cwd = join(repo, 'here');
      const offline = await validate(repo, inputs, { policy: false, cwd });
      // What `strata verify` of named files does: read as validate reads them, verified, then named as typed.
      const parsed = await parseInputs(repo, inputs, { cwd });
      const real = (await verifyDocuments(parsed.docs, { server, root: repo })).problems.map((p) => renamedAsTyped(p, namesAsTyped(parsed)));
      expect(verdicts(offline.problems)).toStrictEqual(verdicts(real));
      expect(verdicts(real).refused.map(([file, , , , , message]) => [file, String(message).match(/\(to Service [^,]+, [^,]+,/)?.[0]])).toStrictEqual(
        [['asks.yaml', `(to Service typed/held, ../there/held.yaml:${lineOf(repo, 'there/held.yaml', 'nodePort')},`]],
      );
    },
    BUILD_TIMEOUT,
  );
});
