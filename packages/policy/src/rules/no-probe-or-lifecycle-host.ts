import { containerLabel, podSecuritySpecsOf, sentenceStart } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
import { at } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-probe-or-lifecycle-host';

const HANDLERS: readonly (readonly string[])[] = [
  ['livenessProbe'],
  ['readinessProbe'],
  ['startupProbe'],
  ['lifecycle', 'postStart'],
  ['lifecycle', 'preStop'],
];
const ACTIONS = ['httpGet', 'tcpSocket'] as const;

export const noProbeOrLifecycleHost: Rule = {
  id,
  description: 'No probe or lifecycle hook names a host (httpGet.host, tcpSocket.host): the kubelet would connect there from the node.',
  podSecurity: 'Host Probes / Lifecycle Hooks',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      for (const c of pod.containers) {
        for (const handler of HANDLERS) {
          for (const action of ACTIONS) {
            const host = at(c.container, ...handler, action, 'host');
            if (host === undefined || host === null || host === '') continue;
            const where = handler.join('.');
            out.push(
              podSecurityFinding(
                id,
                pod,
                'baseline',
                `${sentenceStart(containerLabel(c))} sends its ${where} ${action} to host ${String(host)}, from the node: remove host so that it goes to the pod's own IP.`,
                `${c.path}.${where}.${action}.host`,
              ),
            );
          }
        }
      }
    }
    return out;
  },
};
