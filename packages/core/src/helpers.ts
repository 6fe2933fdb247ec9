import { imageRepositoryProblem } from './image-names.ts';

/**
 * Where an image comes from. A `digest` pins what runs; a `tag` beside it stays in the reference
 * (`repo:tag@digest`, as Kustomize's `images:` writes `newTag` with `digest`), and the app version
 * is the tag only when neither is given.
 */
export interface ImageSource {
  readonly repository: string;
  /** @default the app version */
  readonly tag?: string;
  /** `sha256:<64 hex>`; pins the image exactly. */
  readonly digest?: string;
}

/** `repo:tag@digest` or `repo@digest` when a digest is given, else `repo:tag`, else `repo:<version>`. */
export function imageRef(image: ImageSource, version: string): string {
  const invalid = imageRepositoryProblem(image.repository);
  if (invalid) throw new Error(`image repository ${JSON.stringify(image.repository)} ${invalid}`);
  if (image.digest) {
    if (!/^sha256:[a-f0-9]{64}$/.test(image.digest)) {
      throw new Error(`image ${image.repository}: digest "${image.digest}" must look like sha256:<64 hex characters>`);
    }
    return `${image.repository}${image.tag ? `:${image.tag}` : ''}@${image.digest}`;
  }
  return `${image.repository}:${image.tag ?? version}`;
}

/** The recommended `app.kubernetes.io/*` labels for every object of an app. */
export function standardLabels(app: string, component?: string, version?: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': app,
    ...(component ? { 'app.kubernetes.io/component': component } : {}),
    'app.kubernetes.io/part-of': app,
    'app.kubernetes.io/managed-by': 'strata',
    ...(version ? { 'app.kubernetes.io/version': version } : {}),
  };
}
