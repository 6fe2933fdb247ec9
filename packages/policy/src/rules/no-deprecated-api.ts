import { apiStatus, DEFAULT_KUBERNETES_VERSION } from '@strata/schemas';
import { finding } from '../read.ts';
import type { Rule, RuleFinding } from '../types.ts';

const id = 'no-deprecated-api';

/** `1.36.0` or `v1.35` -> `1.36` / `1.35`, as the lifecycle names releases. */
const minor = (version: string) => /^v?(\d+\.\d+)/.exec(version)?.[1] ?? version;

export const noDeprecatedApi: Rule = {
  id,
  description:
    "No API (apiVersion and kind) that the env's Kubernetes version has removed, deprecates, or serves as a prerelease version it has superseded, or that a later release removes; names the replacement.",
  // A deprecated API still works; one the env's version has removed is also a schema error.
  defaultSeverity: 'warning',
  check(objects, ctx) {
    const version = minor(ctx.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION);
    const out: RuleFinding[] = [];
    for (const object of objects) {
      const { apiVersion, kind } = object.manifest;
      const status = apiStatus(apiVersion, kind, version);
      if (!status) continue;
      const api = `${apiVersion} ${kind}`;
      const use = status.replacement ? `use ${status.replacement}` : 'nothing replaces it';
      let message: string | undefined;
      if (status.removed && !status.served) {
        message = `${api} was removed in Kubernetes ${status.removed} (this env runs ${version}): ${use}.`;
      } else if (status.deprecated) {
        const removal = status.removed ? `, and Kubernetes ${status.removed} removes it` : '';
        message = `${api} is deprecated since Kubernetes ${status.deprecated}${removal}: ${use}.`;
      } else if (status.superseded) {
        const removal = status.removed ? `; Kubernetes ${status.removed} removes it` : '';
        message = `${api} is a prerelease API superseded in Kubernetes ${status.superseded}${removal}: ${use}.`;
      } else if (status.removed) {
        message = `${api} is removed in Kubernetes ${status.removed} (this env runs ${version}): ${use}.`;
      }
      if (message) out.push(finding(id, object, message, 'apiVersion'));
    }
    return out;
  },
};
