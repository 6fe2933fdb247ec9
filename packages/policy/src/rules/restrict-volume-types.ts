import { podSecuritySpecsOf } from '../pods.ts';
import { podSecurityFinding } from '../pod-security.ts';
import { list, rec, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'restrict-volume-types';

/** The inline volume sources restricted allows: none reaches storage the cluster admin did not set up. */
const ALLOWED = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret'];

const present = (v: unknown) => v !== undefined && v !== null;

export const restrictVolumeTypes: Rule = {
  id,
  description: `Volumes are only ${ALLOWED.join(', ')} (hostPath is no-host-path's).`,
  podSecurity: 'Volume Types',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podSecuritySpecsOf(objects)) {
      list(pod.spec.volumes).forEach((v, i) => {
        const volume = rec(v);
        if (!volume) return;
        if (ALLOWED.some((k) => present(volume[k]))) return;
        // Reported at baseline already; restricted refuses it for the same reason.
        if (present(volume.hostPath)) return;
        // A volume without a source is defaulted to an emptyDir by the API server.
        const source = Object.keys(volume).find((k) => k !== 'name' && present(volume[k]));
        if (source === undefined) return;
        out.push(
          podSecurityFinding(
            id,
            pod,
            'restricted',
            `Volume "${str(volume.name) ?? i}" is a ${source} volume, which the restricted profile does not allow: use a PersistentVolumeClaim (or a CSI volume) instead.`,
            `${pod.specPath}.volumes[${i}].${source}`,
          ),
        );
      });
    }
    return out;
  },
};
