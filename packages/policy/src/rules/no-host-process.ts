import { LATEST, sharedChecks } from '../pod-security-admission.ts';
import { containerLabel, podSecuritySpecsOf, sentenceStart } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
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
      for (const r of sharedChecks.hostProcess(pod, LATEST)) {
        const who = r.container ? sentenceStart(containerLabel(r.container)) : 'The pod';
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            `${who} runs as a Windows HostProcess, with full access to the node: remove securityContext.windowsOptions.hostProcess.`,
            r.path,
          ),
        );
      }
    }
    return out;
  },
};
