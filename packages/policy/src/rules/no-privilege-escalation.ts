import { containerLabel, podSecuritySpecsOf, securityContext, sentenceStart } from '../pods.ts';
import { isWindows, podSecurityFinding } from '../pod-security.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-privilege-escalation';

export const noPrivilegeEscalation: Rule = {
  id,
  description: 'allowPrivilegeEscalation: false on every container, init and ephemeral ones included (not for Windows pods).',
  podSecurity: 'Privilege Escalation',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      if (isWindows(pod)) continue;
      for (const c of pod.containers) {
        const value = securityContext(c.container).allowPrivilegeEscalation;
        if (value === false) continue;
        // A step outside any pod template is judged for what it sets, not for what it leaves unset.
        if (pod.loose && (value === undefined || value === null)) continue;
        // Unset means allowed: the kernel's no_new_privs is only set when the field is false.
        const message =
          value === undefined || value === null
            ? `${sentenceStart(containerLabel(c))} may gain privileges through setuid binaries: set securityContext.allowPrivilegeEscalation: false.`
            : `${sentenceStart(containerLabel(c))} sets allowPrivilegeEscalation: ${String(value)}: set it to false.`;
        out.push(podSecurityFinding(id, pod, 'restricted', message, `${c.path}.securityContext.allowPrivilegeEscalation`));
      }
    }
    return out;
  },
};
