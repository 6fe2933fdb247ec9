import { nodePortClashes, nodePortsAsked, nodePortTakenMessage } from '@strata/node-ports';
import type { Problem } from '@strata/project';
import { claimants, clashProblems, segments } from './claims.ts';
import type { NodePortClaim, SourceDoc } from './types.ts';

/**
 * The node ports each Service of `docs` asks for (`nodePortsAsked`), but for the Services the cluster
 * never creates (`claimants`): they hold no port and are refused none.
 */
export function nodePortClaims(docs: readonly SourceDoc[], problems: readonly Problem[], argoCdOnly = true): NodePortClaim[] {
  return claimants(docs, problems, argoCdOnly, (d) => nodePortsAsked(d.manifest)).map(({ doc, claimant, claimed }) => ({
    ...claimant,
    ports: claimed.map((a) => ({ ...a, line: doc.lineOf(segments(a.path)) })),
  }));
}

/**
 * Node ports that an earlier Service of the same cluster holds, refused as the cluster refuses them
 * when it creates the later Service, at its field's line and naming the Service that keeps the port
 * (rule `server-validation`, the words of `strata verify`). The Services are taken in apply order: an
 * env's apps by name, each file's objects in the order given; other files in the order given.
 * `shown` names a file in the message as the person typed it (the claims know files by their key),
 * as the report names the file of the refused Service.
 */
export const nodePortProblems = (claims: readonly NodePortClaim[], shown: (file: string) => string = (file) => file): Problem[] =>
  clashProblems<NodePortClaim, NodePortClaim['ports'][number]>(claims, (c) => c.ports, nodePortClashes, nodePortTakenMessage, shown);
