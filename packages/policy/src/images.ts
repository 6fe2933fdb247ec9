import { imageReferenceError, imageRepositoryProblem } from '@strata/core';

export interface ImageRef {
  readonly name: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Splits `registry:5000/org/app:1.2@sha256:...`; a colon before the last slash is a registry port. */
export function parseImage(image: string): ImageRef {
  const atSign = image.indexOf('@');
  const digest = atSign >= 0 ? image.slice(atSign + 1) : undefined;
  const rest = atSign >= 0 ? image.slice(0, atSign) : image;
  const colon = rest.lastIndexOf(':');
  const tagged = colon > rest.lastIndexOf('/');
  const name = tagged ? rest.slice(0, colon) : rest;
  const tag = tagged ? rest.slice(colon + 1) : undefined;
  return { name, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** The OCI digest forms registries actually serve. */
export const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** The digest of zero bytes: `sha256sum </dev/null` output, never the digest of an image manifest. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * A well-formed digest that no registry would serve: all zeros (what `strata new-app` writes),
 * `deadbeef` or `0123456789abcdef` over and over, or the digest of nothing. A real digest repeats
 * itself with a period of 16 characters or less with odds of about 16^-48, so this never
 * flags a real one.
 */
export function isPlaceholderDigest(digest: string): boolean {
  const hex = digest.slice(digest.indexOf(':') + 1);
  if (hex === EMPTY_SHA256) return true;
  for (let period = 1; period <= 16; period++) {
    let repeats = true;
    for (let i = period; i < hex.length && repeats; i++) repeats = hex[i] === hex[i - period];
    if (repeats) return true;
  }
  return false;
}

// Whether the kubelet can parse a reference is imageReferenceError's to say (@strata/core, the
// grammar of the distribution reference package, which the kubelet parses every image with before
// it pulls: a reference it refuses fails as InvalidImageName). These patterns only say which part
// is wrong and how to fix it.
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST_FORMAT = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** The algorithms the digest library knows, with the length of their lowercase hex. */
const DIGEST_HEX: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** Why the kubelet cannot parse an image reference, as the end of a sentence ("its tag ...: fix"), or undefined when it can. */
export function imageReferenceProblem(image: string): string | undefined {
  const error = imageReferenceError(image);
  if (error === undefined) return undefined;
  return (
    partProblem(image) ??
    `the container runtime cannot parse it (${error}): write it as [registry[:port]/]path[:tag][@sha256:<64 hex digits>], with a lower-case path`
  );
}

/** Which part of a reference the kubelet refuses, and how to fix it; undefined where no one part is to blame. */
function partProblem(image: string): string | undefined {
  const atSign = image.indexOf('@');
  const rest = atSign >= 0 ? image.slice(0, atSign) : image;
  if (atSign >= 0) {
    const digest = image.slice(atSign + 1);
    const colon = digest.indexOf(':');
    const algorithm = digest.slice(0, colon);
    const hex = digest.slice(colon + 1);
    const size = DIGEST_HEX[algorithm];
    if (colon < 0 || (!DIGEST_FORMAT.test(digest) && !(size !== undefined && /^[0-9a-fA-F]*$/.test(hex))))
      return `its digest "${digest}" is not an algorithm and hex digits, such as sha256:<64 hex digits>: use the digest the registry reports`;
    if (size === undefined) return `its digest "${digest}" uses an algorithm the kubelet does not know: use the sha256 digest the registry reports`;
    if (!new RegExp(`^[a-f0-9]{${size}}$`).test(hex))
      return `its digest "${digest}" is not ${size} lowercase hex digits after "${algorithm}:": use the full digest the registry reports`;
  }
  // The tag starts at the first colon after the last slash: a name holds none there (app:3.2.0:3.1.0 is a bad tag).
  const colon = rest.indexOf(':', rest.lastIndexOf('/') + 1);
  const tagged = colon >= 0;
  const name = tagged ? rest.slice(0, colon) : rest;
  if (tagged) {
    const tag = rest.slice(colon + 1);
    if (!TAG.test(tag))
      return `its tag "${tag}" may hold only letters, digits, "_", "." and "-", must not start with "." or "-", and is at most 128 characters long: fix the tag`;
  }
  const repository = imageRepositoryProblem(name);
  return repository === undefined ? undefined : `its repository "${name}" ${repository}: fix the repository name`;
}
