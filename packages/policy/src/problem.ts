import { shownName } from './read.ts';
import type { Finding } from './types.ts';

/** A finding in the shape of `Problem` (in @strata/project), ready for its one-line format (`formatProblem` in @strata/validate). */
export interface PolicyProblem {
  readonly file: string;
  readonly line?: number;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly path?: string;
  readonly message: string;
  readonly rule: string;
  readonly severity: 'error' | 'warning';
}

/**
 * Flattens a finding for printing. An excepted finding becomes a warning whose message ends with the
 * exception's reason: it stays visible in every run without failing the build.
 */
export function toProblem(f: Finding): PolicyProblem {
  const m = f.object.manifest;
  return {
    file: f.object.file,
    ...(f.object.line !== undefined && { line: f.object.line }),
    apiVersion: m.apiVersion,
    kind: m.kind,
    ...(m.metadata.namespace !== undefined && { namespace: m.metadata.namespace }),
    name: shownName(f.object) ?? '',
    ...(f.path !== undefined && { path: f.path }),
    message: f.exception === undefined ? f.message : `${f.message} (excepted: ${f.exception})`,
    rule: f.rule,
    severity: f.exception === undefined ? f.severity : 'warning',
  };
}
