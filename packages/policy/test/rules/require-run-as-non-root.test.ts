import { describe, expect, it } from 'vitest';
import { requireRunAsNonRoot } from '../../src/rules/require-run-as-non-root.ts';
import { SECURE_CONTAINER_CONTEXT, check, container, deployment, summary } from '../support.ts';

const { runAsNonRoot: _unused, ...withoutNonRoot } = SECURE_CONTAINER_CONTEXT;

describe('require-run-as-non-root', () => {
  it('stays quiet when the pod or every container requires a non-root user', () => {
    expect(check(requireRunAsNonRoot, [deployment()])).toStrictEqual([]);
    const perContainer = deployment('web', { pod: { securityContext: {}, containers: [container()] } });
    expect(check(requireRunAsNonRoot, [perContainer])).toStrictEqual([]);
  });

  it('reports once at pod level when nothing requires non-root', () => {
    const d = deployment('web', { pod: { securityContext: {}, containers: [container({ securityContext: withoutNonRoot })] } });
    expect(summary(check(requireRunAsNonRoot, [d]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.securityContext.runAsNonRoot',
        message: 'Nothing stops these containers from running as root: set securityContext.runAsNonRoot: true on the pod (or on every container).',
      },
    ]);
  });

  it('names the init container that is left out when only some containers set it', () => {
    const d = deployment('web', {
      pod: {
        securityContext: {},
        containers: [container()],
        initContainers: [container({ name: 'migrate', ports: [], securityContext: withoutNonRoot })],
      },
    });
    const [f] = check(requireRunAsNonRoot, [d]);
    expect(f?.path).toBe('spec.template.spec.initContainers[0].securityContext.runAsNonRoot');
    expect(f?.message).toContain('Init container "migrate" may run as root');
  });

  it('reports a container that overrides the pod with runAsNonRoot: false', () => {
    const d = deployment('web', { pod: { containers: [container({ securityContext: { ...SECURE_CONTAINER_CONTEXT, runAsNonRoot: false } })] } });
    expect(summary(check(requireRunAsNonRoot, [d])).map((f) => f.path)).toStrictEqual([
      'spec.template.spec.containers[0].securityContext.runAsNonRoot',
    ]);
  });

  it('reports runAsNonRoot: false on the pod even when every container sets true, as the admission plugin does', () => {
    const d = deployment('web', { pod: { securityContext: { runAsNonRoot: false }, containers: [container()] } });
    expect(check(requireRunAsNonRoot, [d]).map((f) => [f.path, f.podSecurity])).toStrictEqual([
      ['spec.template.spec.securityContext.runAsNonRoot', 'restricted'],
    ]);
  });

  it('allows any value in a user namespace (hostUsers: false)', () => {
    const d = deployment('web', {
      pod: { hostUsers: false, securityContext: {}, containers: [container({ securityContext: { ...withoutNonRoot, runAsNonRoot: false } })] },
    });
    expect(check(requireRunAsNonRoot, [d])).toStrictEqual([]);
  });

  it('checks the job template of a CronJob', () => {
    const d = deployment();
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'shop' },
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: {
          spec: { template: { spec: { ...(d.spec as { template: { spec: object } }).template.spec, securityContext: { runAsNonRoot: false } } } },
        },
      },
    };
    expect(check(requireRunAsNonRoot, [cron])[0]?.path).toBe('spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot');
  });
});
