import { containerLabel, podSecuritySpecsOf, securityContext, sentenceStart } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
import { rec, type Rec } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-custom-selinux-options';

/** The container types of the standard SELinux policy; anything else (spc_t) may escape the container. */
const ALLOWED_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

const nonEmpty = (v: unknown) => v !== undefined && v !== null && v !== '';

/** What is wrong with one seLinuxOptions, as `[field, value]` pairs. */
function problems(options: Rec): [string, string][] {
  const out: [string, string][] = [];
  const type = options.type ?? '';
  if (typeof type !== 'string' || !ALLOWED_TYPES.has(type)) out.push(['type', String(type)]);
  if (nonEmpty(options.user)) out.push(['user', String(options.user)]);
  if (nonEmpty(options.role)) out.push(['role', String(options.role)]);
  return out;
}

export const noCustomSelinuxOptions: Rule = {
  id,
  description: 'seLinuxOptions set no user or role, and a type only among container_t, container_init_t, container_kvm_t and container_engine_t.',
  podSecurity: 'SELinux',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      const places: [string, string, Rec | undefined][] = [
        ['The pod', `${pod.specPath}.securityContext.seLinuxOptions`, rec(rec(pod.spec.securityContext)?.seLinuxOptions)],
        ...pod.containers.map((c): [string, string, Rec | undefined] => [
          sentenceStart(containerLabel(c)),
          `${c.path}.securityContext.seLinuxOptions`,
          rec(securityContext(c.container).seLinuxOptions),
        ]),
      ];
      for (const [who, path, options] of places) {
        if (!options) continue;
        for (const [field, value] of problems(options)) {
          const fix = field === 'type' ? 'use container_t (or leave it unset)' : 'remove it';
          out.push(podSecurityFinding(id, pod, 'baseline', `${who} sets SELinux ${field} ${value}: ${fix}.`, `${path}.${field}`));
        }
      }
    }
    return out;
  },
};
