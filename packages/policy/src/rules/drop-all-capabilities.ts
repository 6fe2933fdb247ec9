import { containerLabel, podSecuritySpecsOf, securityContext, sentenceStart } from '../pods.ts';
import { isWindows, podSecurityFinding } from '../pod-security.ts';
import { list, rec } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'drop-all-capabilities';

/** Baseline lets a container add back only what container runtimes grant by default. */
const RUNTIME_DEFAULT = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

/** Restricted lets a container add back only this one, to bind ports below 1024. */
const RESTRICTED_ADD = 'NET_BIND_SERVICE';

export const dropAllCapabilities: Rule = {
  id,
  description:
    'Every container drops ALL capabilities and adds back none but NET_BIND_SERVICE (restricted); none adds one outside the runtime default set (baseline). Windows pods: baseline only.',
  podSecurity: 'Capabilities',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      const restricted = !isWindows(pod);
      for (const c of pod.containers) {
        const caps = rec(securityContext(c.container).capabilities) ?? {};
        const who = sentenceStart(containerLabel(c));
        // Exactly "ALL": the admission plugin compares the string, whatever the runtime would accept.
        // A step outside any pod template is judged for what it adds, not for what it leaves to drop.
        if (restricted && !pod.loose && !list(caps.drop).includes('ALL')) {
          out.push(
            podSecurityFinding(
              id,
              pod,
              'restricted',
              `${who} keeps the runtime's default capabilities: set securityContext.capabilities.drop: [ALL].`,
              `${c.path}.securityContext.capabilities.drop`,
            ),
          );
        }
        list(caps.add).forEach((cap, i) => {
          const path = `${c.path}.securityContext.capabilities.add[${i}]`;
          if (typeof cap !== 'string' || !RUNTIME_DEFAULT.has(cap)) {
            out.push(
              podSecurityFinding(
                id,
                pod,
                'baseline',
                `${who} adds capability ${String(cap)}, beyond the runtime's default set: remove it (only NET_BIND_SERVICE may be added back).`,
                path,
              ),
            );
          } else if (restricted && cap !== RESTRICTED_ADD) {
            out.push(
              podSecurityFinding(id, pod, 'restricted', `${who} adds capability ${cap}: remove it (only NET_BIND_SERVICE may be added back).`, path),
            );
          }
        });
      }
    }
    return out;
  },
};
