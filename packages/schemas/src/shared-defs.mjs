// The name a CRD's strict schema gives a subschema it repeats (see shareRepeated in crd.mjs), plain
// JavaScript as crd.mjs is, and read by the TypeScript that walks those schemas.

/** The prefix of a definition that a CRD's schema shares among its own copies of one subschema: no named type. */
export const SHARED_DEF = "shared.";
