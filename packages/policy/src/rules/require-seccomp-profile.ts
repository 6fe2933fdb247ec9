import { containerLabel, podSecuritySpecsOf, securityContext, sentenceStart } from '../pods.ts';
import { isWindows, podSecurityFinding } from '../pod-security.ts';
import { at, rec } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'require-seccomp-profile';

const ALLOWED = new Set(['RuntimeDefault', 'Localhost']);

export const requireSeccompProfile: Rule = {
  id,
  description:
    'seccompProfile.type RuntimeDefault or Localhost on the pod or on every container (restricted; not for Windows pods); where set, never Unconfined (baseline).',
  podSecurity: 'Seccomp',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      const podPath = `${pod.specPath}.securityContext.seccompProfile.type`;
      const podProfile = rec(rec(pod.spec.securityContext)?.seccompProfile);
      const podType = podProfile ? String(podProfile.type ?? '') : undefined;
      if (podType !== undefined && !ALLOWED.has(podType)) {
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            `The pod sets seccompProfile.type ${podType || '""'}: use RuntimeDefault (or a Localhost profile).`,
            podPath,
          ),
        );
      }
      const unset = [];
      for (const c of pod.containers) {
        const own = rec(securityContext(c.container).seccompProfile);
        if (!own) {
          unset.push(c);
          continue;
        }
        const type = String(at(own, 'type') ?? '');
        if (ALLOWED.has(type)) continue;
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            `${sentenceStart(containerLabel(c))} sets seccompProfile.type ${type || '""'}: use RuntimeDefault (or a Localhost profile).`,
            `${c.path}.securityContext.seccompProfile.type`,
          ),
        );
      }
      // A container without its own profile takes the pod's; restricted wants one in force everywhere.
      // A bad pod profile is reported above, and fixing it covers these containers.
      // A step outside any pod template is judged for the profile it sets, not for one it leaves unset.
      if (podType !== undefined || unset.length === 0 || isWindows(pod) || pod.loose) continue;
      if (unset.length === pod.containers.length) {
        out.push(
          podSecurityFinding(
            id,
            pod,
            'restricted',
            'The pod runs without a seccomp profile: set securityContext.seccompProfile.type: RuntimeDefault on the pod.',
            podPath,
          ),
        );
        continue;
      }
      for (const c of unset) {
        out.push(
          podSecurityFinding(
            id,
            pod,
            'restricted',
            `${sentenceStart(containerLabel(c))} runs without a seccomp profile: set securityContext.seccompProfile.type: RuntimeDefault on it or on the pod.`,
            `${c.path}.securityContext.seccompProfile.type`,
          ),
        );
      }
    }
    return out;
  },
};
