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
