import { argoCdSkips } from '@strata/core/argocd';
import { nodePortClashes, nodePortsAsked, nodePortTakenMessage } from '@strata/node-ports';
import { objectName, type Problem } from '@strata/project';
import { RULE } from '@strata/server-validation';
import { inApplyOrder, sameObject, segments } from './claims.ts';
import type { NodePortClaim, SourceDoc } from './types.ts';

/**
 * The checks whose errors mean that the API server refuses the object itself (its strict schema and
 * its own create validation): a Service they refuse is never created, so it holds no node port and
 * is not refused one either (verify leaves out what its dry run refused the same way).
 */
const REFUSING = new Set(['schema', RULE]);

/**
 * The node ports each Service of `docs` asks for (`nodePortsAsked`), but for Services that
 * `problems` (the schema's and the server field checks') say the server refuses, and, where Argo CD
 * alone applies the tree (`argoCdOnly`, see gitopsConsumers), for those it never applies
 * (`argocd.argoproj.io/hook: Skip`, or a hook of no phase it runs): the cluster never creates them,
 * so they hold no port and are refused none, as verify leaves them out. Flux reads no hook
 * annotation: where it applies the tree, it creates them as any other object.
 */
export function nodePortClaims(docs: readonly SourceDoc[], problems: readonly Problem[], argoCdOnly = true): NodePortClaim[] {
  const refused = new Set(problems.filter((p) => p.severity === 'error' && REFUSING.has(p.rule) && p.resource).map((p) => p.resource));
  const claims: NodePortClaim[] = [];
  for (const d of docs) {
    const asked = nodePortsAsked(d.manifest);
    if (asked.length === 0 || refused.has(d.id) || (argoCdOnly && argoCdSkips(d.manifest))) continue;
    const m = d.manifest;
    const namespace = m.metadata.namespace;
    const name = objectName(m.metadata);
    claims.push({
      file: d.file,
      line: d.line,
      resource: d.id,
      apiVersion: m.apiVersion,
      kind: m.kind,
      ...(typeof namespace === 'string' && namespace ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
      ports: asked.map((a) => ({ ...a, line: d.lineOf(segments(a.path)) })),
    });
  }
  return claims;
}

/**
 * Node ports that an earlier Service of the same cluster holds, refused as the cluster refuses them
 * when it creates the later Service, at its field's line and naming the Service that keeps the port
 * (rule `server-validation`, the words of `strata verify`). The Services are taken in apply order: an
 * env's apps by name, each file's objects in the order given; other files in the order given.
 * `shown` names a file in the message as the person typed it (the claims know files by their key),
 * as the report names the file of the refused Service.
 */
export function nodePortProblems(claims: readonly NodePortClaim[], shown: (file: string) => string = (file) => file): Problem[] {
  const problems: Problem[] = [];
  for (const ordered of inApplyOrder(claims)) {
    for (const { item, asked, holder, held } of nodePortClashes(ordered, (c) => c.ports, sameObject)) {
      const line = item.ports.find((p) => p.path === asked.path)?.line ?? item.line;
      const heldLine = holder.ports.find((p) => p.path === held.path)?.line ?? holder.line;
      problems.push({
        file: item.file,
        line,
        apiVersion: item.apiVersion,
        kind: item.kind,
        ...(item.namespace ? { namespace: item.namespace } : {}),
        ...(item.name !== undefined ? { name: item.name } : {}),
        path: asked.path,
        message: nodePortTakenMessage(
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
