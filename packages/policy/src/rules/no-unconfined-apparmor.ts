import { containerLabel, podSecuritySpecsOf, securityContext, sentenceStart } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
import { rec } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-unconfined-apparmor';

const ALLOWED_TYPES = new Set(['RuntimeDefault', 'Localhost']);
/** The annotation Kubernetes read before the field existed; the admission plugin still checks it. */
const ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

const allowedAnnotation = (value: string) => value === '' || value === 'runtime/default' || value.startsWith('localhost/');

export const noUnconfinedApparmor: Rule = {
  id,
  description: 'AppArmor profiles, where set, are RuntimeDefault or Localhost (field) and runtime/default or localhost/* (annotation).',
  podSecurity: 'AppArmor',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      const profile = rec(rec(pod.spec.securityContext)?.appArmorProfile);
      if (profile && !ALLOWED_TYPES.has(String(profile.type ?? ''))) {
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            `The pod sets appArmorProfile.type ${String(profile.type ?? '""')}: use RuntimeDefault (or a Localhost profile), or leave it unset.`,
            `${pod.specPath}.securityContext.appArmorProfile.type`,
          ),
        );
      }
      for (const c of pod.containers) {
        const own = rec(securityContext(c.container).appArmorProfile);
        if (!own || ALLOWED_TYPES.has(String(own.type ?? ''))) continue;
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            `${sentenceStart(containerLabel(c))} sets appArmorProfile.type ${String(own.type ?? '""')}: use RuntimeDefault (or a Localhost profile), or leave it unset.`,
            `${c.path}.securityContext.appArmorProfile.type`,
          ),
        );
      }
      for (const [key, value] of Object.entries(pod.annotations)) {
        if (!key.startsWith(ANNOTATION_PREFIX) || allowedAnnotation(value)) continue;
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            `Annotation ${key} asks for AppArmor profile ${value}: use runtime/default or localhost/<profile>, or better the securityContext.appArmorProfile field.`,
            `${pod.metadataPath}.annotations.${key}`,
          ),
        );
      }
    }
    return out;
  },
};
