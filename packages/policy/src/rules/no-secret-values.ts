import { at, finding, list, rec, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-secret-values';

/**
 * Whatever is committed or applied from this repository is readable by everyone who can read the
 * repository, so a Secret's values (or a generator's literals) must come from elsewhere.
 */
export const noSecretValues: Rule = {
  id,
  description: 'No Secret carries values and no secretGenerator holds literals: secret values never live in the repository.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const o of objects) {
      const m = o.manifest;
      if (m.kind === 'Secret' && m.apiVersion === 'v1') {
        for (const field of ['data', 'stringData'] as const) {
          if (Object.keys(rec(m[field]) ?? {}).length === 0) continue;
          out.push(
            finding(id, o, 'a Secret with values must not be committed; reference it (secretKeyRef) or produce it with an ExternalSecret', field),
          );
        }
      }
      if (m.kind === 'Kustomization' && m.apiVersion.startsWith('kustomize.config.k8s.io/')) {
        list(at(m, 'secretGenerator')).forEach((g, i) => {
          if (list(at(g, 'literals')).length === 0) return;
          out.push(
            finding(
              id,
              o,
              `secretGenerator ${str(at(g, 'name')) ?? ''} holds literal values; feed it from an untracked env file or use an ExternalSecret`,
              `secretGenerator[${i}].literals`,
            ),
          );
        });
      }
    }
    return out;
  },
};
