import { podsOf } from '../pods.ts';
import { at, finding, findObject, list, namespaceOf, ofKind, sameNamespace, str } from '../read.ts';
import type { PolicyObject, Rule, RuleFinding } from '../types.ts';

const id = 'no-automount-token';

/** Whether a (Cluster)RoleBinding in the set grants something to this ServiceAccount; `applied` as in `namespaceOf`. */
function isBound(objects: readonly PolicyObject[], account: string, namespace: string, applied: string): boolean {
  return ofKind(objects, 'RoleBinding', 'ClusterRoleBinding').some((b) =>
    list(b.manifest.subjects).some((s) => {
      if (at(s, 'kind') !== 'ServiceAccount' || at(s, 'name') !== account) return false;
      const subjectNamespace = str(at(s, 'namespace')) ?? (b.manifest.kind === 'RoleBinding' ? namespaceOf(b, applied) : '');
      return sameNamespace(subjectNamespace, namespace);
    }),
  );
}

/**
 * The Vault agent injector logs in with the pod's ServiceAccount token (Kubernetes auth): the token is
 * used even though no binding in the set grants it anything.
 */
function authenticatesToVault(object: PolicyObject, specPath: string): boolean {
  const metadataPath = specPath.split('.').slice(0, -1).concat('metadata', 'annotations');
  return String(at(object.manifest, ...metadataPath, 'vault.hashicorp.com/agent-inject')) === 'true';
}

export const noAutomountToken: Rule = {
  id,
  description:
    'automountServiceAccountToken: false on the pod or its ServiceAccount, unless a RoleBinding or ClusterRoleBinding in the set grants that ServiceAccount something (or the Vault agent injector logs in with it).',
  defaultSeverity: 'error',
  check(objects, ctx) {
    const applied = ctx.applyNamespace ?? '';
    const out: RuleFinding[] = [];
    for (const pod of podsOf(objects)) {
      const account = str(pod.spec.serviceAccountName) ?? str(pod.spec.serviceAccount) ?? 'default';
      const namespace = pod.namespace || applied;
      const serviceAccount = findObject(objects, 'ServiceAccount', account, namespace, applied);
      // The pod's own setting wins over its ServiceAccount's; both unset means the token is mounted.
      const mounted = pod.spec.automountServiceAccountToken ?? serviceAccount?.manifest.automountServiceAccountToken ?? true;
      if (mounted === false || isBound(objects, account, namespace, applied) || authenticatesToVault(pod.object, pod.specPath)) continue;
      out.push(
        finding(
          id,
          pod.object,
          `The pods mount a token for ServiceAccount "${account}", which nothing in the set grants any permission: set automountServiceAccountToken: false on the pod spec or the ServiceAccount.`,
          `${pod.specPath}.automountServiceAccountToken`,
        ),
      );
    }
    return out;
  },
};
