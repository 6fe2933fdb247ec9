import { containerLabel, podSecuritySpecsOf, securityContext, sentenceStart } from '../pods.ts';
import { LATEST, sharedChecks } from '../pod-security-admission.ts';
import { podSecurityFinding } from '../pod-security.ts';
import { list, rec } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'drop-all-capabilities';

export const dropAllCapabilities: Rule = {
  id,
  description:
    'Every container drops ALL capabilities and adds back none but NET_BIND_SERVICE (restricted); none adds one outside the runtime default set (baseline). Windows pods: baseline only.',
  podSecurity: 'Capabilities',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      // What baseline refuses (a capability beyond the runtime's default set) and restricted (ALL not
      // dropped, any added but NET_BIND_SERVICE; nothing of a Windows pod), decided as the admission decides.
      const beyond = new Set(sharedChecks.capabilitiesBaseline(pod, LATEST).map((r) => r.path));
      const restricted = new Set(sharedChecks.capabilitiesRestricted(pod, LATEST).map((r) => r.path));
      for (const c of pod.containers) {
        const caps = rec(securityContext(c.container).capabilities) ?? {};
        const who = sentenceStart(containerLabel(c));
        const drop = `${c.path}.securityContext.capabilities.drop`;
        // A step outside any pod template is judged for what it adds, not for what it leaves to drop.
        if (restricted.has(drop) && !pod.loose) {
          out.push(
            podSecurityFinding(
              id,
              pod,
              'restricted',
              `${who} keeps the runtime's default capabilities: set securityContext.capabilities.drop: [ALL].`,
              drop,
            ),
          );
        }
        list(caps.add).forEach((cap, i) => {
          const path = `${c.path}.securityContext.capabilities.add[${i}]`;
          if (beyond.has(path)) {
            out.push(
              podSecurityFinding(
                id,
                pod,
                'baseline',
                `${who} adds capability ${String(cap)}, beyond the runtime's default set: remove it (only NET_BIND_SERVICE may be added back).`,
                path,
              ),
            );
          } else if (restricted.has(path)) {
            out.push(
              podSecurityFinding(
                id,
                pod,
                'restricted',
                `${who} adds capability ${String(cap)}: remove it (only NET_BIND_SERVICE may be added back).`,
                path,
              ),
            );
          }
        });
      }
    }
    return out;
  },
};
