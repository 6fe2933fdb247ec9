import { describe, expect, it } from 'vitest';
import { requireReadOnlyRootFilesystem } from '../../src/rules/require-read-only-root-filesystem.ts';
import { SECURE_CONTAINER_CONTEXT, check, container, deployment } from '../support.ts';

describe('require-read-only-root-filesystem', () => {
  it('stays quiet when every container has a read-only root filesystem', () => {
    expect(check(requireReadOnlyRootFilesystem, [deployment()])).toStrictEqual([]);
  });

  it('reports a writable root filesystem, init containers included', () => {
    const writable = { ...SECURE_CONTAINER_CONTEXT, readOnlyRootFilesystem: false };
    const d = deployment('web', { pod: { initContainers: [container({ name: 'setup', ports: [], securityContext: writable })] } });
    const [f, ...rest] = check(requireReadOnlyRootFilesystem, [d]);
    expect(rest).toStrictEqual([]);
    expect(f?.path).toBe('spec.template.spec.initContainers[0].securityContext.readOnlyRootFilesystem');
    expect(f?.message).toBe(
      'Init container "setup" has a writable root filesystem: set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where it must write (such as /tmp).',
    );
  });

  it('asks nothing of a Windows pod, on which the API server refuses readOnlyRootFilesystem, and asks it of a Linux one alike', () => {
    const bare = container({ securityContext: { runAsNonRoot: true } });
    const windows = deployment('web', { pod: { os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, containers: [bare] } });
    expect(check(requireReadOnlyRootFilesystem, [windows])).toStrictEqual([]);
    const linux = deployment('web', { pod: { os: { name: 'linux' }, containers: [bare] } });
    expect(check(requireReadOnlyRootFilesystem, [linux]).map((f) => f.path)).toStrictEqual([
      'spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem',
    ]);
  });
});
