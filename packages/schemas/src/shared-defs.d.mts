// Types of shared-defs.mjs.
export declare const SHARED_DEF: string;
