import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ensureServers, readBuilt, startServer, statusProblems, verify, verifyDocuments } from '../src/index.ts';
import { BUILD_TIMEOUT, builtDocs, lineOf, makeRepo, NODE_PORT_CLASH, nodePortService, sharedServer, TAKEN, TAKEN_AFTER } from './helpers.ts';

/** A NodePort Service asking for `nodePort`. */
function service(name: string, nodePort: number): string {
  return [
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    `  name: ${name}`,
    '  namespace: ports',
    'spec:',
    '  type: NodePort',
    `  selector: {app: ${name}}`,
    '  ports:',
    '    - name: http',
    '      port: 80',
    `      nodePort: ${nodePort}`,
    '',
  ].join('\n');
}

const refused = (port: number, range: string) =>
  `Invalid value: ${port}: provided port is not in the valid range. The range of valid ports is ${range}`;

describe('the node ports Services may ask for', () => {
  it(
    "refuses a node port outside the server's range, 30000-32767 unless told otherwise, and accepts it inside a range given",
    async () => {
      const docs = readBuilt(service('web', 8080), 'web.yaml');
      const byDefault = await verifyDocuments(docs);
      expect(byDefault.problems.map((p) => [p.line, p.path, p.rule, p.severity])).toStrictEqual([
        [12, 'spec.ports[0].nodePort', 'server-rejected', 'error'],
      ]);
      expect(byDefault.problems[0]!.message).toBe(
        `${refused(8080, '30000-32767')} (the server refuses it when it creates the Service; a dry run lets it through)`,
      );
      expect((await verifyDocuments(docs, { serviceNodePortRange: { from: 8000, to: 9000 } })).problems).toStrictEqual([]);
      const high = await verifyDocuments(readBuilt(service('web', 30080), 'web.yaml'), { serviceNodePortRange: { from: 8000, to: 9000 } });
      expect(high.problems.map((p) => [p.path, p.message.slice(0, refused(30080, '8000-9000').length)])).toStrictEqual([
        ['spec.ports[0].nodePort', refused(30080, '8000-9000')],
      ]);
    },
    BUILD_TIMEOUT,
  );

  it(
    'the server itself gives Services the ports of the range: what is deployed is applied in it, and a port it holds is refused to another Service',
    async () => {
      // Applied for real, so the server's own allocator judges them: 8080 is deployed, 30080 refused.
      const deployed = readBuilt(`${service('web', 8080)}---\n${service('old', 30080)}`, 'now/web.yaml');
      const r = await verifyDocuments(readBuilt(service('api', 8080), 'web.yaml'), {
        serviceNodePortRange: { from: 8000, to: 9000 },
        against: { name: 'now', docs: deployed },
      });
      expect(r.problems.map((p) => [p.file, p.name, p.path, p.rule, p.message])).toStrictEqual([
        ['now/web.yaml', 'old', 'spec.ports[0].nodePort', 'baseline-rejected', `at now: ${refused(30080, '8000-9000')}`],
        [
          'web.yaml',
          'api',
          'spec.ports[0].nodePort',
          'server-rejected',
          'Invalid value: 8080: provided port is already allocated (to Service ports/web, as deployed at now, which the output no longer has; ' +
            'Argo CD prunes it before it creates this one but does not wait for it to be gone, so the create is refused until the port is free and a retry of the sync takes it; ' +
            'give this Service another nodePort, or none) (as created beside what now deployed)',
        ],
      ]);
    },
    BUILD_TIMEOUT,
  );
});

const yamlOf = (...objects: object[]) => objects.map((o) => stringify(o)).join('---\n');

const server = sharedServer();

describe('node ports two Services of one cluster ask for', () => {
  it(
    'refuses the second Service of an env asking for a node port the first holds, at its line and naming the first, and lets the same port through in another env',
    async () => {
      const repo = makeRepo(NODE_PORT_CLASH);
      try {
        const r = await verify(repo, { server });
        const line = lineOf(repo, 'dist/dev/web.yaml', 'nodePort: 30080');
        const held = lineOf(repo, 'dist/dev/api.yaml', 'nodePort: 30080');
        expect(r.problems).toStrictEqual([
          {
            file: 'dist/dev/web.yaml',
            line,
            apiVersion: 'v1',
            kind: 'Service',
            namespace: 'shop-dev',
            name: 'web',
            path: 'spec.ports[1].nodePort',
            message: `Invalid value: 30080: ${TAKEN} (to Service shop-dev/api, dist/dev/api.yaml:${held}, ${TAKEN_AFTER}`,
            rule: 'server-rejected',
            severity: 'error',
          },
        ]);
        expect(line).toBeGreaterThan(0);
        expect((await verify(repo, { server, env: 'staging' })).problems).toStrictEqual([]);
        expect((await verify(repo, { server, app: ['web'] })).problems).toStrictEqual([]);
      } finally {
        rmSync(repo, { recursive: true, force: true });
      }
    },
    BUILD_TIMEOUT,
  );

  it(
    'with --against, checks each env as its own cluster and reports a port taken within the env once',
    async () => {
      const repo = makeRepo(NODE_PORT_CLASH);
      try {
        // Deployed now: api in dev and web in staging, each holding 30080 in its own cluster.
        for (const [where, objects] of Object.entries(NODE_PORT_CLASH).filter(([w]) => w !== 'dev/web')) {
          mkdirSync(join(repo, 'previous', where.split('/')[0]!), { recursive: true });
          writeFileSync(join(repo, 'previous', `${where}.yaml`), yamlOf(...objects));
        }
        const r = await verify(repo, { server, against: 'previous' });
        expect(r.problems.map((p) => [p.file, p.name, p.path, p.rule, p.message.slice(0, p.message.indexOf(' ('))])).toStrictEqual([
          ['dist/dev/web.yaml', 'web', 'spec.ports[1].nodePort', 'server-rejected', `Invalid value: 30080: ${TAKEN}`],
        ]);
      } finally {
        rmSync(repo, { recursive: true, force: true });
      }
    },
    BUILD_TIMEOUT,
  );

  it(
    "judges ports as the server's allocator does when it creates Services for real: one node port for TCP and UDP of a port in one Service, a node port of one protocol taken for the other, a health check node port taken by a node port",
    async () => {
      const dns = nodePortService('dns', 'ports', [
        { port: 53, protocol: 'TCP', nodePort: 30053 },
        { port: 53, protocol: 'UDP', nodePort: 30053 },
      ]);
      const tcp = nodePortService('tcp', 'ports', [{ port: 80, protocol: 'TCP', nodePort: 30060 }]);
      const udp = nodePortService('udp', 'ports', [{ port: 80, protocol: 'UDP', nodePort: 30060 }]);
      const lb = nodePortService('lb', 'ports', [{ port: 80, nodePort: 30061 }], {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 30060,
      });
      // The real create, on a server of its own: it keeps what it allocates.
      const real = await startServer(await ensureServers());
      const created: Record<string, { status: number; refusal: { path?: string; message: string }[] }> = {};
      try {
        expect(
          (await real.client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ports' } })).status,
        ).toBe(201);
        for (const [name, o] of Object.entries({ dns, tcp, udp, lb })) {
          const r = await real.client.request('POST', '/api/v1/namespaces/ports/services', o);
          created[name] = { status: r.status, refusal: r.status < 300 ? [] : statusProblems(r.body, r.status) };
        }
      } finally {
        await real.stop();
      }
      expect(Object.values(created).map((c) => c.status)).toStrictEqual([201, 201, 422, 500]);
      expect(created.udp!.refusal).toStrictEqual([{ path: 'spec.ports[0].nodePort', message: `Invalid value: 30060: ${TAKEN}` }]);
      // The server's refusal names no field; it is read as the health check node port's.
      expect(created.lb!.refusal).toStrictEqual([
        { path: 'spec.healthCheckNodePort', message: `failed to allocate requested HealthCheck NodePort 30060: ${TAKEN}` },
      ]);

      // The same Services, dry-run applied in the same order: refused as the real create refused them.
      const text = yamlOf(dns, tcp, udp, lb);
      const r = await verifyDocuments(readBuilt(text, 'ports.yaml'), { server });
      const lineAt = (name: string, field: string) => {
        const lines = text.split('\n');
        const start = lines.findIndex((l) => l === `  name: ${name}`);
        return lines.findIndex((l, i) => i > start && l.includes(field)) + 1;
      };
      const holder = `(to Service ports/tcp, line ${lineAt('tcp', 'nodePort: 30060')} of this file, ${TAKEN_AFTER}`;
      expect(r.problems.map((p) => [p.name, p.line, p.path, p.message])).toStrictEqual([
        ['udp', lineAt('udp', 'nodePort: 30060'), 'spec.ports[0].nodePort', `${created.udp!.refusal[0]!.message} ${holder}`],
        ['lb', lineAt('lb', 'healthCheckNodePort: 30060'), 'spec.healthCheckNodePort', `${created.lb!.refusal[0]!.message} ${holder}`],
      ]);
    },
    BUILD_TIMEOUT,
  );
});

describe('node ports that move from one Service to another in an upgrade', () => {
  it(
    'with --against, lets a Service take the node port that a Service updated before it lets go, and refuses it while the holder keeps it',
    async () => {
      // Deployed now: api holds 30080. Built: api moves to 30081, and web (after api in apply order) takes 30080.
      const repo = makeRepo({
        'dev/api': [nodePortService('api', 'shop-dev', [{ port: 80, nodePort: 30081 }])],
        'dev/web': [nodePortService('web', 'shop-dev', [{ port: 80, nodePort: 30080 }])],
      });
      const deploy = (port: number) => {
        mkdirSync(join(repo, 'previous', 'dev'), { recursive: true });
        writeFileSync(join(repo, 'previous', 'dev', 'api.yaml'), yamlOf(nodePortService('api', 'shop-dev', [{ port: 80, nodePort: port }])));
      };
      try {
        deploy(30080);
        // kubectl apply updates api first, which frees 30080, then creates web with it.
        expect((await verify(repo, { server, against: 'previous' })).problems).toStrictEqual([]);
        // Deployed: api on 30080, and a Service the build does not have holds 30081: api's update is
        // refused, so api keeps 30080, and web cannot have it.
        writeFileSync(
          join(repo, 'previous', 'dev', 'api.yaml'),
          yamlOf(
            nodePortService('api', 'shop-dev', [{ port: 80, nodePort: 30080 }]),
            nodePortService('old', 'shop-dev', [{ port: 80, nodePort: 30081 }]),
          ),
        );
        const r = await verify(repo, { server, against: 'previous' });
        expect(r.problems.map((p) => [p.file, p.name, p.path, p.rule, p.message.slice(0, p.message.indexOf(' ('))])).toStrictEqual([
          ['dist/dev/api.yaml', 'api', 'spec.ports[0].nodePort', 'update-rejected', `Invalid value: 30081: ${TAKEN}`],
          ['dist/dev/web.yaml', 'web', 'spec.ports[0].nodePort', 'server-rejected', `Invalid value: 30080: ${TAKEN}`],
        ]);
      } finally {
        rmSync(repo, { recursive: true, force: true });
      }
    },
    BUILD_TIMEOUT,
  );
  it(
    'with --against, recreates a Service whose update is refused when the sync recreates it (Force=true,Replace=true, a hook), which lets its node port go to the next',
    async () => {
      // Deployed: api holds 30080 at cluster IP .50. Built: api moves to 30081 and to .51, an immutable
      // field, and web, after api in apply order, takes 30080.
      const cases: [string, Record<string, string>][] = [
        ['Force=true,Replace=true', { 'argocd.argoproj.io/sync-options': 'Force=true,Replace=true' }],
        ['a PreSync hook', { 'argocd.argoproj.io/hook': 'PreSync' }],
        ['nothing', {}],
      ];
      for (const [said, annotations] of cases) {
        const api = (nodePort: number, ip: string) => nodePortService('api', 'moving', [{ port: 80, nodePort }], { clusterIP: ip }, annotations);
        const r = await verifyDocuments(
          builtDocs([api(30081, '10.96.0.51'), nodePortService('web', 'moving', [{ port: 80, nodePort: 30080 }])], 'next.yaml'),
          {
            server,
            against: { name: 'now', docs: builtDocs([api(30080, '10.96.0.50')], 'now.yaml') },
          },
        );
        const found = r.problems.map((p) => [p.name, p.path, p.rule]);
        if (said === 'nothing') {
          // Updated, api is refused and keeps 30080, so web cannot have it.
          expect(found, said).toStrictEqual([
            ['api', 'spec.clusterIPs[0]', 'immutable-field'],
            ['web', 'spec.ports[0].nodePort', 'server-rejected'],
          ]);
          expect(r.notes, said).toStrictEqual([]);
        } else {
          expect(found, said).toStrictEqual([]);
          expect(r.notes, said).toHaveLength(1);
          expect(r.notes[0], said).toMatch(/^1 object changed since now .* checked as created afresh: next\.yaml:1 api$/);
        }
      }
    },
    BUILD_TIMEOUT,
  );
});
