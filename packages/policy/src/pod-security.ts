import type { PodView } from './pods.ts';
import { at } from './read.ts';
import type { PodSecurityLevel, RuleFinding } from './types.ts';

/**
 * The Pod Security Standards as the PodSecurity admission plugin of Kubernetes 1.36 evaluates them
 * (the same as 1.35: no control changed in 1.36). Each control is one rule in `rules/`; this module
 * holds what several of them share.
 */

/**
 * `spec.os.name: windows`. The restricted controls for privilege escalation, capabilities and
 * seccomp do not apply to Windows pods, whose API fields for them do not exist on Windows.
 */
export function isWindows(pod: PodView): boolean {
  return at(pod.spec, 'os', 'name') === 'windows';
}

/**
 * `hostUsers: false`: the pod runs in its own user namespace, where root maps to an unprivileged
 * user on the node. Running as root and an unmasked /proc are then allowed (Kubernetes 1.35+).
 */
export function inUserNamespace(pod: PodView): boolean {
  return pod.spec.hostUsers === false;
}

export function podSecurityFinding(rule: string, pod: PodView, level: PodSecurityLevel, message: string, path: string): RuleFinding {
  return { rule, object: pod.object, message, path, podSecurity: level };
}
