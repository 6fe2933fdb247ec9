import { containerLabel, podSecuritySpecsOf, sentenceStart } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
import { list, rec } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-host-ports';

export const noHostPorts: Rule = {
  id,
  description: 'No container port is bound on the node (hostPort), including the ports of a Pod on hostNetwork.',
  podSecurity: 'Host Ports',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      // The API server defaults every port of a Pod on hostNetwork to a hostPort equal to its
      // containerPort, and evaluates Pod Security after that. A template is stored as written, but
      // every pod made from it is defaulted so, and refused where the namespace enforces baseline.
      const hostNetworkPod = pod.spec.hostNetwork === true;
      for (const c of pod.containers) {
        list(c.container.ports).forEach((p, i) => {
          const port = rec(p);
          if (!port) return;
          const explicit = port.hostPort !== undefined && port.hostPort !== null && port.hostPort !== 0;
          const defaulted =
            !explicit && hostNetworkPod && c.group !== 'ephemeralContainers' && typeof port.containerPort === 'number' && port.containerPort !== 0;
          if (!explicit && !defaulted) return;
          const who = sentenceStart(containerLabel(c));
          const message = explicit
            ? `${who} binds port ${String(port.hostPort)} on the node (hostPort): remove hostPort and reach the pod through a Service.`
            : `${who} binds port ${String(port.containerPort)} on the node: a pod on hostNetwork gets every containerPort as a hostPort; leave hostNetwork off.`;
          out.push(podSecurityFinding(id, pod, 'baseline', message, `${c.path}.ports[${i}].hostPort`));
        });
      }
    }
    return out;
  },
};
