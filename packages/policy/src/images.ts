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
