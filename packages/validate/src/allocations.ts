import { allocationClashes, allocationsAsked, allocationTakenMessage } from '@strata/node-ports';
import type { Problem } from '@strata/project';
import { RULE } from '@strata/server-validation';
import { claimants, inApplyOrder, sameObject, segments } from './claims.ts';
import type { AllocationClaim, SourceDoc } from './types.ts';

/**
 * What each object of `docs` asks its cluster for of which the cluster holds one each
 * (`allocationsAsked`: a Service's cluster IPs, a PriorityClass's `globalDefault`), but for the
 * objects the cluster never creates
 * (`claimants`): they hold nothing and are refused nothing, as for node ports.
 */
export function allocationClaims(docs: readonly SourceDoc[], problems: readonly Problem[], argoCdOnly = true): AllocationClaim[] {
  return claimants(docs, problems, argoCdOnly, (d) => allocationsAsked(d.manifest)).map(({ doc, claimant, claimed }) => ({
    ...claimant,
    asks: claimed.map((a) => ({ ...a, line: doc.lineOf(segments(a.path)) })),
  }));
}

/**
 * What an earlier object of the same cluster holds, refused as the cluster refuses it when it
 * creates the later object, at its field's line and naming the object that holds it (rule
 * `server-validation`, the words of `strata verify`): a cluster IP another Service asks for first, or
 * the place of the cluster's default PriorityClass that another class has.
 * The objects are taken in apply order, as for node ports (`nodePortProblems`).
 */
export function allocationProblems(claims: readonly AllocationClaim[], shown: (file: string) => string = (file) => file): Problem[] {
  const problems: Problem[] = [];
  for (const ordered of inApplyOrder(claims)) {
    for (const { item, asked, holder, held } of allocationClashes(ordered, (c) => c.asks, sameObject)) {
      const line = item.asks.find((a) => a.path === asked.path)?.line ?? item.line;
      const heldLine = holder.asks.find((a) => a.path === held.path)?.line ?? holder.line;
      problems.push({
        file: item.file,
        line,
        apiVersion: item.apiVersion,
        kind: item.kind,
        ...(item.namespace ? { namespace: item.namespace } : {}),
        ...(item.name !== undefined ? { name: item.name } : {}),
        path: asked.path,
        message: allocationTakenMessage(
          asked,
          {
            ...(holder.namespace ? { namespace: holder.namespace } : {}),
            ...(holder.name !== undefined ? { name: holder.name } : {}),
            file: shown(holder.file),
            line: heldLine,
          },
          shown(item.file),
        ),
        rule: RULE,
        severity: 'error',
        ...(item.resource ? { resource: item.resource } : {}),
      });
    }
  }
  return problems;
}
