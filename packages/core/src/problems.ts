/** One finding, located in a file and, when known, in an object and a field. */
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
  /** Stable id of the check: `schema`, `duplicate-resource`, a policy rule, `server-rejected`... */
  readonly rule: string;
  readonly severity: 'error' | 'warning';
  /** The reason an app's policy exception gives for this finding: shown, never counted. */
  readonly excepted?: string;
  /** Which object of the run it is about (e.g. `dist/dev/web.yaml#3`), so that counts count objects, not lines. */
  readonly resource?: string;
}
