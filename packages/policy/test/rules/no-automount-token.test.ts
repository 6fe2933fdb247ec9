import { describe, expect, it } from 'vitest';
import { noAutomountToken } from '../../src/rules/no-automount-token.ts';
import { NS, check, deployment, manifest, summary, withoutNamespace } from '../support.ts';

const account = (automount?: boolean) =>
  manifest('v1', 'ServiceAccount', 'web', automount === undefined ? {} : { automountServiceAccountToken: automount });
const binding = manifest('rbac.authorization.k8s.io/v1', 'RoleBinding', 'web', {
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'web-read' },
  subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: NS }],
});
const mounting = (pod: Record<string, unknown>) => deployment('web', { pod: { automountServiceAccountToken: undefined, ...pod } });

describe('no-automount-token', () => {
  it('stays quiet when the pod or its ServiceAccount turns the token off', () => {
    expect(check(noAutomountToken, [deployment()])).toStrictEqual([]);
    expect(check(noAutomountToken, [mounting({ serviceAccountName: 'web' }), account(false)])).toStrictEqual([]);
  });

  it('stays quiet when a RoleBinding grants the ServiceAccount something', () => {
    expect(check(noAutomountToken, [mounting({ serviceAccountName: 'web', automountServiceAccountToken: true }), account(), binding])).toStrictEqual(
      [],
    );
  });

  it('stays quiet when the Vault agent injector logs in with the token', () => {
    const d = mounting({ serviceAccountName: 'web' });
    const template = (d.spec as { template: { metadata: Record<string, unknown> } }).template;
    template.metadata.annotations = { 'vault.hashicorp.com/agent-inject': 'true' };
    expect(check(noAutomountToken, [d, account()])).toStrictEqual([]);
  });

  it('reports the default ServiceAccount token mounted for nothing', () => {
    expect(summary(check(noAutomountToken, [mounting({})]))).toStrictEqual([
      {
        name: 'web',
        path: 'spec.template.spec.automountServiceAccountToken',
        message:
          'The pods mount a token for ServiceAccount "default", which nothing in the set grants any permission: set automountServiceAccountToken: false on the pod spec or the ServiceAccount.',
      },
    ]);
  });

  it('lets the pod setting win over its ServiceAccount', () => {
    expect(check(noAutomountToken, [mounting({ serviceAccountName: 'web', automountServiceAccountToken: true }), account(false)])).toHaveLength(1);
  });

  it('does not count a binding for a ServiceAccount of another namespace', () => {
    const elsewhere = { ...binding, subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'other' }] };
    expect(check(noAutomountToken, [mounting({ serviceAccountName: 'web' }), account(), elsewhere])).toHaveLength(1);
  });

  it('places a ServiceAccount or RoleBinding written without a namespace, applied as written, in that namespace only', () => {
    const asWritten = { applyNamespace: 'default' };
    const pod = mounting({ serviceAccountName: 'web' });
    const ownSubject = { ...withoutNamespace(binding), subjects: [{ kind: 'ServiceAccount', name: 'web' }] };
    expect(check(noAutomountToken, [pod, withoutNamespace(account(false))], asWritten)).toHaveLength(1);
    expect(check(noAutomountToken, [pod, account(), ownSubject], asWritten)).toHaveLength(1);
    expect(check(noAutomountToken, [withoutNamespace(pod), account(), binding], asWritten)).toHaveLength(1);
    expect(check(noAutomountToken, [withoutNamespace(pod), account(), ownSubject], asWritten)).toStrictEqual([]);
    expect(check(noAutomountToken, [pod, withoutNamespace(account(false))])).toStrictEqual([]);
  });
});
