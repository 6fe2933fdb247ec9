/**
 * One finding of a check (schema, structure, policy, the server), located in a file and, when known,
 * in an object and a field. Here, not in core (the authoring API every app imports), because
 * validate, server-validation, verify, pipeline and the CLI all report or print findings and all
 * sit above this package; policy cannot hold it, since verify would then depend on policy, whose
 * tests depend on verify.
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
  /** Stable id of the check: `schema`, `duplicate-resource`, a policy rule, `server-rejected`... */
  readonly rule: string;
  readonly severity: 'error' | 'warning';
  /** The reason an app's policy exception gives for this finding: shown, never counted. */
  readonly excepted?: string;
  /** Which object of the run it is about (e.g. `dist/dev/web.yaml#3`), so that counts count objects, not lines. */
  readonly resource?: string;
  /**
   * For a finding at a line of a file that a folder walk's kustomizations build from, when the walk
   * built several: the folders of the kustomizations (the overlays) whose builds have it. A base that
   * several overlays share has its finding once, naming them all, rather than once per overlay.
   */
  readonly overlays?: readonly string[];
  /** With `overlays`, when more than one object has the finding: every such object (`resource` is the first), for the counts. */
  readonly resources?: readonly string[];
}

/**
 * The name a finding shows for an object: metadata.name, or for an object that only has
 * metadata.generateName the pattern of the names the server will give it (`migrate-*`), so that its
 * findings read like any other object's; undefined when it has neither.
 */
export function objectName(metadata: unknown): string | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const { name, generateName } = metadata as { name?: unknown; generateName?: unknown };
  if (typeof name === 'string' && name !== '') return name;
  if (typeof generateName === 'string' && generateName !== '') return `${generateName}*`;
  return undefined;
}
