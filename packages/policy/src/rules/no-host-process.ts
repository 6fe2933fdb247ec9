import { containerLabel, podSecuritySpecsOf, securityContext, sentenceStart } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
import { at } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-host-process';

export const noHostProcess: Rule = {
  id,
  description: 'No Windows HostProcess pod or container (windowsOptions.hostProcess: true).',
  podSecurity: 'HostProcess',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      if (at(pod.spec, 'securityContext', 'windowsOptions', 'hostProcess') === true) {
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            'The pod runs as a Windows HostProcess, with full access to the node: remove securityContext.windowsOptions.hostProcess.',
            `${pod.specPath}.securityContext.windowsOptions.hostProcess`,
          ),
        );
      }
      for (const c of pod.containers) {
        if (at(securityContext(c.container), 'windowsOptions', 'hostProcess') !== true) continue;
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            `${sentenceStart(containerLabel(c))} runs as a Windows HostProcess, with full access to the node: remove securityContext.windowsOptions.hostProcess.`,
            `${c.path}.securityContext.windowsOptions.hostProcess`,
          ),
        );
      }
    }
    return out;
  },
};
