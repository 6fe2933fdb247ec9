import { autoscalerLabel, scaleTargets } from '../autoscalers.ts';
import { at, finding, isOfKind, nameOf, namespaceOf, ofKind, sameNamespace } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'single-replica';

export const singleReplica: Rule = {
  id,
  description:
    'For apps whose instances carry an identity (ctx.singleReplica): every Deployment and StatefulSet has replicas: 1, Deployments use the Recreate strategy, and no autoscaler targets them.',
  defaultSeverity: 'error',
  check(objects, ctx) {
    if (!ctx.singleReplica) return [];
    const applied = ctx.applyNamespace ?? '';
    const out: RuleFinding[] = [];
    const workloads = ofKind(objects, 'Deployment', 'StatefulSet');
    for (const w of workloads) {
      const replicas = at(w.manifest, 'spec', 'replicas');
      if (replicas === undefined) {
        // The API default is 1, but an explicit value is what a patch or a reviewer can see.
        out.push(finding(id, w, 'The workload does not set replicas: set replicas: 1 so that each instance runs exactly once.', 'spec.replicas'));
      } else if (replicas !== 1) {
        out.push(
          finding(
            id,
            w,
            `The workload runs ${String(replicas)} replicas of one identity: set replicas: 1 and add another workload for another instance.`,
            'spec.replicas',
          ),
        );
      }
      const strategy = at(w.manifest, 'spec', 'strategy', 'type') ?? 'RollingUpdate';
      if (w.manifest.kind === 'Deployment' && strategy !== 'Recreate') {
        out.push(
          finding(
            id,
            w,
            `The Deployment updates with ${String(strategy)}, which briefly runs a second pod with the same identity: set strategy.type: Recreate.`,
            'spec.strategy.type',
          ),
        );
      }
    }
    for (const t of scaleTargets(objects, applied)) {
      if (!workloads.some((w) => isOfKind(w, t) && nameOf(w) === t.name && sameNamespace(namespaceOf(w, applied), t.namespace))) continue;
      out.push(
        finding(
          id,
          t.autoscaler,
          `${autoscalerLabel(t)} scales ${t.kind} "${t.name}", which must stay at one replica: remove the autoscaler.`,
          'spec.scaleTargetRef',
        ),
      );
    }
    return out;
  },
};
