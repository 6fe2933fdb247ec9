import { containerLabel, podsOf, securityContext, sentenceStart } from '../pods.ts';
import { isWindows } from '../pod-security.ts';
import { finding } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'require-read-only-root-filesystem';

export const requireReadOnlyRootFilesystem: Rule = {
  id,
  description:
    'readOnlyRootFilesystem: true on every container; writable paths are explicit emptyDir mounts. Not for Windows pods, on which the API server refuses the field.',
  defaultSeverity: 'error',
  check(objects) {
    const out: RuleFinding[] = [];
    for (const pod of podsOf(objects)) {
      // A Linux-only field: the API server refuses it on a pod with spec.os.name: windows, as it refuses seccomp and capabilities there.
      if (isWindows(pod)) continue;
      for (const c of pod.containers) {
        if (securityContext(c.container).readOnlyRootFilesystem === true) continue;
        out.push(
          finding(
            id,
            pod.object,
            `${sentenceStart(containerLabel(c))} has a writable root filesystem: set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where it must write (such as /tmp).`,
            `${c.path}.securityContext.readOnlyRootFilesystem`,
          ),
        );
      }
    }
    return out;
  },
};
