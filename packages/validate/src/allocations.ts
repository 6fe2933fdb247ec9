import { allocationClashes, allocationsAsked, allocationTakenMessage } from '@strata/node-ports';
import type { Problem } from '@strata/project';
import { claimants, clashProblems, segments } from './claims.ts';
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
export const allocationProblems = (claims: readonly AllocationClaim[], shown: (file: string) => string = (file) => file): Problem[] =>
  clashProblems<AllocationClaim, AllocationClaim['asks'][number]>(claims, (c) => c.asks, allocationClashes, allocationTakenMessage, shown);
