import { containerLabel, podsOf, securityContext, sentenceStart } from '../pods.ts';
import { finding, list, rec } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'drop-all-capabilities';

/** The one capability the restricted profile lets a container add back, to bind ports below 1024. */
const ALLOWED_ADD = new Set(['NET_BIND_SERVICE']);

export const dropAllCapabilities: Rule = {
  id,
  description: 'Every container drops ALL capabilities and adds back none but NET_BIND_SERVICE.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podsOf(objects)) {
      for (const c of pod.containers) {
        const caps = rec(securityContext(c.container).capabilities) ?? {};
        const who = sentenceStart(containerLabel(c));
        if (!list(caps.drop).includes('ALL')) {
          out.push(finding(id, pod.object, `${who} keeps the runtime's default capabilities: set securityContext.capabilities.drop: [ALL].`, `${c.path}.securityContext.capabilities.drop`));
        }
        list(caps.add).forEach((cap, i) => {
          if (typeof cap === 'string' && ALLOWED_ADD.has(cap)) return;
          out.push(finding(id, pod.object, `${who} adds capability ${String(cap)}: remove it (only NET_BIND_SERVICE may be added back).`, `${c.path}.securityContext.capabilities.add[${i}]`));
        });
      }
    }
    return out;
  },
};
