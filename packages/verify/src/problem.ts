/**
 * One finding, in the shape of `Problem` in @strata/cli (packages/cli/src/problems.ts), which
 * formats and reports it. Declared again here because @strata/cli depends on this package.
 */
export interface Problem {
  readonly file: string;
  readonly line?: number;
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** Dotted field path inside the object, e.g. `spec.template.spec.containers[0].image`. */
  readonly path?: string;
  readonly message: string;
  /** Stable id of the check: `server-rejected`, `immutable-field`, `missing-crd`... */
  readonly rule: string;
  readonly severity: 'error' | 'warning';
}
