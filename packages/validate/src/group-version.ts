/**
 * An apiVersion read as apimachinery's `schema.ParseGroupVersion` reads it, which kubectl and the API
 * server use: empty (or `/`) is no group and no version, `v1` a version of the core group, `apps/v1`
 * and `/v1` a group (empty for `/v1`) and a version; more than one slash is an error, in its words.
 */
export function parseGroupVersion(apiVersion: string): { readonly group: string; readonly version: string } | { readonly error: string } {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  const slashes = apiVersion.split('/').length - 1;
  if (slashes === 0) return { group: '', version: apiVersion };
  if (slashes === 1) {
    const i = apiVersion.indexOf('/');
    return { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
  }
  return { error: `unexpected GroupVersion string: ${apiVersion}` };
}

/**
 * The apiVersion as the API server names it once parsed: `/v1` is `v1`. Schemas are found by it.
 * Anything that does not parse is given back as it is.
 */
export function canonicalApiVersion(apiVersion: string): string {
  const gv = parseGroupVersion(apiVersion);
  if ('error' in gv) return apiVersion;
  return gv.group === '' ? gv.version : `${gv.group}/${gv.version}`;
}
