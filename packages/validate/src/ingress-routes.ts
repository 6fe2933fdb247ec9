import { ingressRoutes } from '@strata/policy';
import type { Problem } from '@strata/project';
import { blockLine } from './block-lines.ts';
import { claimants, inApplyOrder, sameObject, segments } from './claims.ts';
import type { IngressClaim, SourceDoc } from './types.ts';

/** The rule of the problems `ingressRouteProblems` gives. */
export const INGRESS_ROUTE_RULE = 'unique-ingress-route';

/**
 * The hosts and paths each Ingress of `docs` routes (`ingressRoutes` of @strata/policy), but for the
 * Ingresses the cluster never has (`claimants`), as for node ports. `textOf` gives a file's text,
 * where each route's line is read as written (`blockLine`).
 */
export function ingressClaims(
  docs: readonly SourceDoc[],
  problems: readonly Problem[],
  argoCdOnly = true,
  textOf: (file: string) => string | undefined = () => undefined,
): IngressClaim[] {
  const linesOf = new Map<string, readonly string[]>();
  const lineOf = (d: SourceDoc, path: (string | number)[]) => {
    let lines = linesOf.get(d.file);
    if (!lines) linesOf.set(d.file, (lines = textOf(d.file)?.split('\n') ?? []));
    return blockLine(lines, d.line, path) ?? d.lineOf(path);
  };
  return claimants(docs, problems, argoCdOnly, (d) => ingressRoutes(d.manifest)).map(({ doc, claimant, claimed }) => ({
    ...claimant,
    routes: claimed.map((r) => ({ ...r, line: lineOf(doc, segments(r.field)) })),
  }));
}

/**
 * Hosts and paths of one IngressClass that an earlier Ingress of the same cluster routes already,
 * across the apps of an env: each at the later Ingress's path, naming the earlier one with its file
 * and line, once. The Ingresses are taken in apply order, as the node ports' Services: an env's apps
 * by name, each file's objects in the order given. `shown` names a file as the person typed it.
 */
export function ingressRouteProblems(claims: readonly IngressClaim[], shown: (file: string) => string = (file) => file): Problem[] {
  const problems: Problem[] = [];
  for (const ordered of inApplyOrder(claims)) {
    const holders = new Map<string, { claim: IngressClaim; line: number }>();
    for (const claim of ordered) {
      for (const route of claim.routes) {
        const key = JSON.stringify([route.ingressClass, route.host, route.path]);
        const held = holders.get(key);
        if (!held) {
          holders.set(key, { claim, line: route.line });
          continue;
        }
        if (sameObject(held.claim, claim)) continue;
        const holder = held.claim;
        const who = `${holder.namespace ? `${holder.namespace}/` : ''}${holder.name ?? ''}`;
        const where = holder.file === claim.file ? `line ${held.line} of this file` : `${shown(holder.file)}:${held.line}`;
        const host = route.host ? `host "${route.host}"` : 'every host (no host)';
        const ingressClass = route.ingressClass ? `IngressClass "${route.ingressClass}"` : "the cluster's default IngressClass";
        problems.push({
          file: claim.file,
          line: route.line,
          apiVersion: claim.apiVersion,
          kind: claim.kind,
          ...(claim.namespace ? { namespace: claim.namespace } : {}),
          ...(claim.name !== undefined ? { name: claim.name } : {}),
          path: route.field,
          message:
            `${host} and path "${route.path}" of ${ingressClass} are routed already by Ingress ${who} (${where}, applied first): ` +
            "the class's controller sends their traffic to one of the two only (ingress-nginx refuses this one at admission, others pick by age): " +
            'give one of them another host or path, or make this one a canary of that one (nginx.ingress.kubernetes.io/canary: "true")',
          rule: INGRESS_ROUTE_RULE,
          severity: 'error',
          ...(claim.resource ? { resource: claim.resource } : {}),
        });
      }
    }
  }
  return problems;
}
