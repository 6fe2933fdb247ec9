import { describe, expect, it } from 'vitest';
import type { Problem } from '@strata/project';
import { ensureHelper } from '@strata/server-validation';
import { verify } from '@strata/verify';
import { BUILD_TIMEOUT, repoWithServer } from '../../verify/test/helpers.ts';
import { validate } from '../src/index.ts';

/**
 * Lists the API keys by fields (`x-kubernetes-list-type: map`) with two items of one key, and lists
 * of distinct values (`x-kubernetes-list-type: set`) holding one value twice: the
 * offline verdicts of `validate` against those of `verify`, whose API server is real and applies
 * server-side. One object per app; each must be refused, or not, alike, and a refusal for a repeated
 * key must be at the same list's line with the same key.
 */

type Container = Record<string, unknown>;
const web = (extra: Container = {}): Container => ({ name: 'web', image: 'registry.example/web:1', ...extra });
const pod = (spec: Record<string, unknown>) => ({ containers: [web()], ...spec });
const deployment = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'keys' },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: pod(spec) } },
});
const service = (name: string, ports: readonly Record<string, unknown>[]) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'keys' },
  spec: { selector: { app: name }, ports },
});
const volumes = [
  { name: 'v', emptyDir: {} },
  { name: 'w', emptyDir: {} },
];

const CORPUS: Record<string, readonly object[]> = {
  'dev/env-twice': [
    deployment('env-twice', {
      containers: [
        web({
          env: [
            { name: 'A', value: '1' },
            { name: 'A', value: '2' },
          ],
        }),
      ],
    }),
  ],
  'dev/env-apart': [
    deployment('env-apart', {
      containers: [
        web({
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        }),
      ],
    }),
  ],
  // The same name in two containers is two lists.
  'dev/env-two-containers': [
    deployment('env-two-containers', {
      containers: [web({ env: [{ name: 'A', value: '1' }] }), { name: 'side', image: 'registry.example/side:1', env: [{ name: 'A', value: '2' }] }],
    }),
  ],
  // Two keys repeated in one list: each said once.
  'dev/env-two-keys': [
    deployment('env-two-keys', {
      containers: [web({ env: ['A', 'B', 'A', 'B', 'A'].map((name, i) => ({ name, value: String(i) })) })],
    }),
  ],
  // The protocol a port leaves out is TCP before the items are compared.
  'dev/port-default': [deployment('port-default', { containers: [web({ ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'TCP' }] })] })],
  'dev/port-protocols': [
    deployment('port-protocols', { containers: [web({ ports: [{ containerPort: 53 }, { containerPort: 53, protocol: 'UDP' }] })] }),
  ],
  'dev/port-named-apart': [
    deployment('port-named-apart', {
      containers: [
        web({
          ports: [
            { name: 'a', containerPort: 80 },
            { name: 'b', containerPort: 80 },
          ],
        }),
      ],
    }),
  ],
  'dev/mounts-twice': [
    deployment('mounts-twice', {
      volumes,
      containers: [
        web({
          volumeMounts: [
            { name: 'v', mountPath: '/data' },
            { name: 'w', mountPath: '/data' },
          ],
        }),
      ],
    }),
  ],
  'dev/mounts-apart': [
    deployment('mounts-apart', {
      volumes,
      containers: [
        web({
          volumeMounts: [
            { name: 'v', mountPath: '/data' },
            { name: 'v', mountPath: '/more', subPath: 'x' },
          ],
        }),
      ],
    }),
  ],
  // Refused by the checks of a create as well: a container name or a volume name twice.
  'dev/containers-twice': [deployment('containers-twice', { containers: [web(), web({ image: 'registry.example/web:2' })] })],
  'dev/volumes-twice': [
    deployment('volumes-twice', {
      volumes: [
        { name: 'v', emptyDir: {} },
        { name: 'v', emptyDir: { medium: 'Memory' } },
      ],
    }),
  ],
  // A status is the server's to write, and still an applied one with a repeated key is refused.
  'dev/status': [
    {
      ...deployment('status', {}),
      status: {
        conditions: [
          { type: 'Available', status: 'True' },
          { type: 'Available', status: 'False' },
        ],
      },
    },
  ],
  'dev/pull-secrets': [deployment('pull-secrets', { imagePullSecrets: [{ name: 'reg' }, { name: 'reg' }] })],
  'dev/host-aliases': [
    deployment('host-aliases', {
      hostAliases: [
        { ip: '10.0.0.1', hostnames: ['a.example'] },
        { ip: '10.0.0.1', hostnames: ['b.example'] },
      ],
    }),
  ],
  // Tolerations are an atomic list: the same one twice is no key clash.
  'dev/tolerations': [
    deployment('tolerations', {
      tolerations: [
        { key: 'k', operator: 'Exists' },
        { key: 'k', operator: 'Exists' },
      ],
    }),
  ],
  'dev/spread': [
    deployment('spread', {
      topologySpreadConstraints: [1, 2].map((maxSkew) => ({
        maxSkew,
        topologyKey: 'zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { app: 'spread' } },
      })),
    }),
  ],
  'dev/pod-env': [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pod-env', namespace: 'keys' },
      spec: { containers: [web({ env: [{ name: 'A' }, { name: 'A', value: 'x' }] })] },
    },
  ],
  'dev/cronjob-env': [
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cronjob-env', namespace: 'keys' },
      spec: {
        schedule: '0 * * * *',
        jobTemplate: {
          spec: {
            template: {
              spec: {
                restartPolicy: 'Never',
                containers: [
                  web({
                    env: [
                      { name: 'A', value: '1' },
                      { name: 'A', value: '1' },
                    ],
                  }),
                ],
              },
            },
          },
        },
      },
    },
  ],
  'dev/service-ports': [
    service('service-ports', [
      { name: 'a', port: 80 },
      { name: 'b', port: 80, protocol: 'TCP' },
    ]),
  ],
  // A set's item is its own key.
  'dev/finalizers-twice': [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'finalizers-twice', namespace: 'keys', finalizers: ['a.io/x', 'a.io/y', 'a.io/x'] } },
  ],
  'dev/finalizers-apart': [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'finalizers-apart', namespace: 'keys', finalizers: ['a.io/x', 'a.io/y'] } },
  ],
  'dev/exit-codes-twice': [
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'exit-codes-twice', namespace: 'keys' },
      spec: {
        podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [3, 4, 3] } }] },
        template: { spec: { restartPolicy: 'Never', containers: [web()] } },
      },
    },
  ],
  'dev/service-protocols': [
    service('service-protocols', [
      { name: 'a', port: 53 },
      { name: 'b', port: 53, protocol: 'UDP' },
    ]),
  ],
};

/** Per object: refused or not, and the refusals for a repeated key as rows; verify's and validate's words for it differ only after the key. */
function verdicts(problems: readonly Problem[]) {
  const errors = problems.filter((p) => p.severity === 'error');
  return {
    refused: [...new Set(errors.map((p) => `${p.file} ${p.kind}/${p.name}`))].sort(),
    keys: errors
      .filter((p) => p.message.startsWith('duplicate entries for key '))
      .map((p) => [p.file, p.line, p.name, /^duplicate entries for key \[[^\]]*\]/.exec(p.message)![0]])
      .sort(),
  };
}

const live = repoWithServer(CORPUS, ensureHelper);

describe('keyed lists offline and on the real API server', () => {
  it(
    'refuses the same objects, and a repeated key at the same list with the same key, as server-side apply',
    async () => {
      const { repo, server } = live;
      const offline = await validate(repo, ['dist'], { policy: false });
      const real = await verify(repo, { server });
      expect(verdicts(offline.problems)).toStrictEqual(verdicts(real.problems));
      // The corpus is judged, not merely agreed upon.
      expect(
        verdicts(offline.problems).keys.map(([file, , , key]) => [
          String(file).slice('dist/dev/'.length, -'.yaml'.length),
          String(key).slice('duplicate entries for key '.length),
        ]),
      ).toStrictEqual([
        ['containers-twice', '[name="web"]'],
        ['cronjob-env', '[name="A"]'],
        ['env-twice', '[name="A"]'],
        ['env-two-keys', '[name="A"]'],
        ['env-two-keys', '[name="B"]'],
        ['exit-codes-twice', '[=3]'],
        ['finalizers-twice', '[="a.io/x"]'],
        ['host-aliases', '[ip="10.0.0.1"]'],
        ['mounts-twice', '[mountPath="/data"]'],
        ['pod-env', '[name="A"]'],
        ['port-default', '[containerPort=80,protocol="TCP"]'],
        ['port-named-apart', '[containerPort=80,protocol="TCP"]'],
        ['pull-secrets', '[name="reg"]'],
        ['service-ports', '[port=80,protocol="TCP"]'],
        ['spread', '[topologyKey="zone",whenUnsatisfiable="DoNotSchedule"]'],
        ['status', '[type="Available"]'],
        ['volumes-twice', '[name="v"]'],
      ]);
    },
    BUILD_TIMEOUT,
  );
});
