import { isPlainObject, type Manifest } from '@strata/core';
import { podsOf } from '@strata/policy';
import type { Client } from '@strata/project/apiserver';

/**
 * What the LimitRanger admission plugin (plugin/pkg/admission/limitranger) says when it refuses a
 * pod, and what pod validation says of a request its defaults leave over a limit: the refusals of a
 * pod made from a template that a LimitRange of its namespace decides.
 */
const LIMIT_RANGER =
  /(?:minimum|maximum) \S+ usage per (?:Container|Pod|PersistentVolumeClaim) is |\S+ max limit to request ratio per (?:Container|Pod) is |resources\.requests: Invalid value: "[^"]*": must be less than or equal to \S+ limit of /;

/** A refusal of the pods (or claims) a workload makes, at its template. */
export interface TemplateRefusal {
  /** `spec.template`, `spec.jobTemplate.spec.template`, `spec.volumeClaimTemplates[0]` */
  readonly path: string;
  readonly message: string;
}

/**
 * The pods a workload's controller makes from each of its templates, dry-run as Pods in `namespace`
 * (which holds LimitRanges): the server admits a Deployment, as the LimitRanger limits Pods alone,
 * and then refuses every pod its ReplicaSet makes; and a StatefulSet's claim templates, dry-run as
 * the claims its controller makes. Only what the LimitRanges decide is reported; the other admission
 * of pods (Pod Security, classes) is judged elsewhere.
 */
export async function templatePodRefusals(client: Client, manifest: Manifest, file: string, namespace: string): Promise<TemplateRefusal[]> {
  const out: TemplateRefusal[] = [];
  for (const pod of podsOf([{ manifest, file }])) {
    if (pod.isPod) continue;
    const metadata = {
      name: manifest.metadata.name || 'template',
      namespace,
      ...(Object.keys(pod.labels).length > 0 ? { labels: pod.labels } : {}),
      ...(Object.keys(pod.annotations).length > 0 ? { annotations: pod.annotations } : {}),
    };
    const r = await client.request('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?dryRun=All`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata,
      spec: pod.spec,
    });
    if (r.status < 300) continue;
    const said = isPlainObject(r.body) && typeof r.body.message === 'string' ? r.body.message : '';
    if (!LIMIT_RANGER.test(said)) continue;
    const kind = manifest.kind;
    out.push({
      path: pod.specPath.replace(/\.spec$/, ''),
      message: `${said.replace(/^pods? "[^"]*" is (forbidden|invalid): /i, '')}: the ${kind} is admitted, but every pod it makes is refused (LimitRanger admission, by a LimitRange of namespace ${namespace}); set its containers' resources within the LimitRange, or change the LimitRange`,
    });
  }
  // A StatefulSet's controller makes a claim of each claim template, which the LimitRanger limits too.
  if (manifest.kind === 'StatefulSet' && manifest.apiVersion === 'apps/v1' && isPlainObject(manifest.spec)) {
    const templates = Array.isArray(manifest.spec.volumeClaimTemplates) ? manifest.spec.volumeClaimTemplates : [];
    for (const [i, t] of templates.entries()) {
      if (!isPlainObject(t) || !isPlainObject(t.spec)) continue;
      const name = `${isPlainObject(t.metadata) && typeof t.metadata.name === 'string' ? t.metadata.name : 'claim'}-${manifest.metadata.name}-0`;
      const r = await client.request('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/persistentvolumeclaims?dryRun=All`, {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name, namespace },
        spec: t.spec,
      });
      if (r.status < 300) continue;
      const said = isPlainObject(r.body) && typeof r.body.message === 'string' ? r.body.message : '';
      if (!LIMIT_RANGER.test(said)) continue;
      out.push({
        path: `spec.volumeClaimTemplates[${i}]`,
        message: `${said.replace(/^persistentvolumeclaims "[^"]*" is forbidden: /, '')}: the StatefulSet is admitted, but every claim it makes of this template is refused (LimitRanger admission, by a LimitRange of namespace ${namespace}); ask for storage within the LimitRange, or change the LimitRange`,
      });
    }
  }
  return out;
}
