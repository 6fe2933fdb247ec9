import { podsOf } from '../pods.ts';
import { at, finding, list, rec, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-host-path';

export const noHostPath: Rule = {
  id,
  description: 'No hostPath volumes.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podsOf(objects)) {
      list(pod.spec.volumes).forEach((v, i) => {
        const volume = rec(v);
        if (!volume?.hostPath) return;
        const where = str(at(volume, 'hostPath', 'path')) ?? '?';
        out.push(finding(id, pod.object, `Volume "${str(volume.name) ?? i}" mounts ${where} from the node: use an emptyDir, a ConfigMap or a PersistentVolumeClaim instead.`, `${pod.specPath}.volumes[${i}].hostPath`));
      });
    }
    return out;
  },
};
