import { at, finding, rec, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-secret-in-last-applied';

/** kubectl's copy of an object as last applied by client-side apply, which `kubectl get -o yaml` exports with it. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * A Secret exported from a cluster after `kubectl apply` carries kubectl's JSON copy of what was
 * applied, its `data` and `stringData` included: committed, the values are in the repository even
 * where the Secret's own fields were taken out or moved to an ExternalSecret. `strata import` leaves
 * the annotation out; a file committed without it holds it as exported. Once committed, the values
 * are in the repository's history, so removing the annotation does not take them back.
 */
export const noSecretInLastApplied: Rule = {
  id,
  description: `No ${LAST_APPLIED} annotation whose JSON is a Secret with data or stringData: kubectl's copy of the Secret as last applied holds its values, so they are committed with the file.`,
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const o of objects) {
      const text = str(at(o.manifest, 'metadata', 'annotations', LAST_APPLIED));
      if (text === undefined) continue;
      let applied: unknown;
      try {
        applied = JSON.parse(text);
      } catch {
        continue;
      }
      const copy = rec(applied);
      if (copy === undefined || copy.kind !== 'Secret' || (copy.apiVersion !== undefined && copy.apiVersion !== 'v1')) continue;
      const keys = [...new Set(['data', 'stringData'].flatMap((f) => Object.keys(rec(copy[f]) ?? {})))];
      if (keys.length === 0) continue;
      const name = str(at(copy, 'metadata', 'name'));
      const namespace = str(at(copy, 'metadata', 'namespace'));
      const secret = name === undefined ? 'a Secret' : `the Secret ${namespace ? `${namespace}/` : ''}${name}`;
      out.push(
        finding(
          id,
          o,
          `annotation ${LAST_APPLIED}, kubectl's copy of the object as last applied, holds the values of ${secret} (${keys.sort().join(', ')}), so the secret lives in the repository: remove the annotation and rotate the secret, as the repository's history keeps what was committed`,
          `metadata.annotations[${LAST_APPLIED}]`,
        ),
      );
    }
    return out;
  },
};
