import { podsOf } from '../pods.ts';
import { at, finding, findObject, list, rec, str } from '../read.ts';
import type { PolicyObject, Rule, RuleFinding } from '../types.ts';

const id = 'mountable-secrets';

/** The ServiceAccount annotation that makes the ServiceAccount admission plugin limit a pod's Secrets to those the account lists. */
export const ENFORCE_MOUNTABLE_SECRETS = 'kubernetes.io/enforce-mountable-secrets';

/** Go's strconv.ParseBool, as the plugin reads the annotation: anything else is false. */
const parseBool = (v: unknown) => typeof v === 'string' && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v);

const names = (sa: PolicyObject, field: string) => new Set(list(sa.manifest[field]).flatMap((r) => str(at(r, 'name')) ?? []));

/**
 * The Secrets a pod may use when its ServiceAccount carries `kubernetes.io/enforce-mountable-secrets:
 * "true"`: the ServiceAccount admission plugin (on in every cluster) refuses a pod whose secret
 * volumes, `secretKeyRef`s or `envFrom` `secretRef`s name a Secret the account's `secrets` does not
 * list, or whose `imagePullSecrets` name one its `imagePullSecrets` does not, in the order the plugin
 * looks (plugin/pkg/admission/serviceaccount, limitSecretReferences). A workload is admitted and every
 * pod it makes is refused. An account the set does not hold (one of the cluster) is not judged.
 */
export const mountableSecrets: Rule = {
  id,
  description:
    'No pod uses a Secret that its ServiceAccount, annotated kubernetes.io/enforce-mountable-secrets: "true", does not list, which the ServiceAccount admission refuses for every pod in every cluster. Its severity cannot be lowered.',
  defaultSeverity: 'error',
  fixedSeverity: true,
  check(objects, ctx) {
    const applied = ctx.applyNamespace ?? '';
    const out: RuleFinding[] = [];
    for (const pod of podsOf(objects)) {
      const accountName = str(pod.spec.serviceAccountName) || str(pod.spec.serviceAccount) || 'default';
      const sa = findObject(objects, 'ServiceAccount', accountName, pod.namespace || applied, applied);
      if (!sa || !parseBool(rec(sa.manifest.metadata?.annotations)?.[ENFORCE_MOUNTABLE_SECRETS])) continue;
      const mountable = names(sa, 'secrets');
      const what = pod.isPod ? 'this Pod' : `every pod this ${pod.object.manifest.kind} makes`;
      const refuse = (words: string, path: string, fix: string) =>
        out.push(
          finding(
            id,
            pod.object,
            `${words} is not allowed because service account ${accountName} does not reference that ${fix === 'imagePullSecrets' ? 'imagePullSecret' : 'secret'}: the API server refuses ${what} (ServiceAccount admission), as the account is annotated ${ENFORCE_MOUNTABLE_SECRETS}: "true". List the Secret in the ServiceAccount's ${fix}, or use another account.`,
            path,
          ),
        );
      list(pod.spec.volumes).forEach((v, i) => {
        const secret = rec(at(v, 'secret'));
        if (!secret) return;
        const name = str(secret.secretName) ?? '';
        if (!mountable.has(name)) refuse(`volume with secret.secretName="${name}"`, `${pod.specPath}.volumes[${i}].secret.secretName`, 'secrets');
      });
      for (const [group, label] of [
        ['initContainers', 'init container'],
        ['containers', 'container'],
      ] as const) {
        list(pod.spec[group]).forEach((c, j) => {
          const path = `${pod.specPath}.${group}[${j}]`;
          const container = str(at(c, 'name')) ?? '';
          list(at(c, 'env')).forEach((e, k) => {
            const ref = rec(at(e, 'valueFrom', 'secretKeyRef'));
            if (!ref) return;
            const name = str(ref.name) ?? '';
            if (!mountable.has(name))
              refuse(
                `${label} ${container} with envVar ${str(at(e, 'name')) ?? ''} referencing secret.secretName="${name}"`,
                `${path}.env[${k}].valueFrom.secretKeyRef.name`,
                'secrets',
              );
          });
          list(at(c, 'envFrom')).forEach((e, k) => {
            const ref = rec(at(e, 'secretRef'));
            if (!ref) return;
            const name = str(ref.name) ?? '';
            if (!mountable.has(name))
              refuse(`${label} ${container} with envFrom referencing secret.secretName="${name}"`, `${path}.envFrom[${k}].secretRef.name`, 'secrets');
          });
        });
      }
      const pullable = names(sa, 'imagePullSecrets');
      list(pod.spec.imagePullSecrets).forEach((r, i) => {
        const name = str(at(r, 'name')) ?? '';
        if (!pullable.has(name)) refuse(`imagePullSecrets[${i}].name="${name}"`, `${pod.specPath}.imagePullSecrets[${i}].name`, 'imagePullSecrets');
      });
    }
    return out;
  },
};
