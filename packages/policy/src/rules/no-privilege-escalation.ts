import { LATEST, sharedChecks } from '../pod-security-admission.ts';
import { containerLabel, podSecuritySpecsOf, sentenceStart } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
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
      // Nothing of a Windows pod, as the admission decides.
      for (const r of sharedChecks.allowPrivilegeEscalation(pod, LATEST)) {
        // A step outside any pod template is judged for what it sets, not for what it leaves unset.
        if (pod.loose && r.unset) continue;
        const who = sentenceStart(containerLabel(r.container!));
        // Unset means allowed: the kernel's no_new_privs is only set when the field is false.
        const message = r.unset
          ? `${who} may gain privileges through setuid binaries: set securityContext.allowPrivilegeEscalation: false.`
          : `${who} sets allowPrivilegeEscalation: ${String(r.value)}: set it to false.`;
        out.push(podSecurityFinding(id, pod, 'restricted', message, r.path));
      }
    }
    return out;
  },
};
