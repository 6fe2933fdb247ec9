import { describe, expect, it } from 'vitest';
import { readBuilt, verifyDocuments } from '../src/index.ts';
import { BUILD_TIMEOUT } from './helpers.ts';

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
      const r = await verifyDocuments(readBuilt(`${service('web', 8080)}---\n${service('api', 8080)}`, 'web.yaml'), {
        serviceNodePortRange: { from: 8000, to: 9000 },
        against: { name: 'now', docs: deployed },
      });
      expect(r.problems.map((p) => [p.file, p.name, p.path, p.rule, p.message])).toStrictEqual([
        ['now/web.yaml', 'old', 'spec.ports[0].nodePort', 'baseline-rejected', `at now: ${refused(30080, '8000-9000')}`],
        [
          'web.yaml',
          'api',
          'spec.ports[0].nodePort',
          'update-rejected',
          'Invalid value: 8080: provided port is already allocated (as an update of what now deployed)',
        ],
      ]);
    },
    BUILD_TIMEOUT,
  );
});
