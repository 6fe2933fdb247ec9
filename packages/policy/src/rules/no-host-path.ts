import { podSecuritySpecsOf } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
import { at, list, rec, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-host-path';

export const noHostPath: Rule = {
  id,
  description: 'No hostPath volumes.',
  podSecurity: 'HostPath Volumes',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      list(pod.spec.volumes).forEach((v, i) => {
        const volume = rec(v);
        if (!volume?.hostPath) return;
        const where = str(at(volume, 'hostPath', 'path')) ?? '?';
        out.push(
          podSecurityFinding(
            id,
            pod,
            'baseline',
            `Volume "${str(volume.name) ?? i}" mounts ${where} from the node: use an emptyDir, a ConfigMap or a PersistentVolumeClaim instead.`,
            `${pod.specPath}.volumes[${i}].hostPath`,
          ),
        );
      });
    }
    return out;
  },
};
