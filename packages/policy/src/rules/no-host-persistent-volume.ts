import { at, finding, ofKind, rec, str } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-host-persistent-volume';

/** The PersistentVolume sources that are a path of the node's own file system. */
const NODE_SOURCES = ['hostPath', 'local'] as const;

/**
 * A PersistentVolume backed by a node path gives whatever pod claims it that path, past the Pod Security
 * "HostPath Volumes" control: admission judges the pod, which names only its claim. `no-host-path`
 * judges pods exactly as that control does; this rule sees the volume the claim binds to.
 */
export const noHostPersistentVolume: Rule = {
  id,
  description: "No PersistentVolume backed by a node's file system (hostPath or local): a pod that claims it reaches the node past Pod Security.",
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pv of ofKind(objects, 'PersistentVolume')) {
      if (pv.manifest.apiVersion !== 'v1') continue;
      for (const source of NODE_SOURCES) {
        const volume = rec(at(pv.manifest, 'spec', source));
        if (!volume) continue;
        const path = str(volume.path) ?? '?';
        const ns = str(at(pv.manifest, 'spec', 'claimRef', 'namespace'));
        const name = str(at(pv.manifest, 'spec', 'claimRef', 'name'));
        const claim = name ? `the claim ${ns ? `${ns}/` : ''}${name}` : 'any claim it binds to';
        out.push(
          finding(
            id,
            pv,
            `The volume serves ${path} from the node (${source}) to every pod of ${claim}, which the Pod Security hostPath control does not see: ` +
              'let a StorageClass provision the volume, or add a policy exception that says why the app needs the node path.',
            `spec.${source}`,
          ),
        );
      }
    }
    return out;
  },
};
