import type { Manifest } from '@strata/core';
import type { Problem } from '@strata/core';

/** One parsed document of an input, with where it came from. */
export interface SourceDoc {
  readonly file: string;
  readonly line: number;
  readonly manifest: Manifest;
  /** The input argument (file, folder or -) it came from: the policy checks references within it. */
  readonly input: string;
  /** The line of a field (`['spec', 'replicas']`), or of its nearest existing parent. */
  lineOf(path: readonly (string | number)[]): number;
}

/** One input file: its readable documents, and its path when kubeconform may read it as it is. */
export interface FileInput {
  readonly docs: readonly SourceDoc[];
  readonly path?: string;
}

export interface ParsedInputs {
  readonly docs: SourceDoc[];
  readonly problems: Problem[];
  /** Per input file (as reported), what it holds. */
  readonly files: Map<string, FileInput>;
}

/** The documents and problems of one file. */
export interface FileRead {
  readonly docs: SourceDoc[];
  readonly problems: Problem[];
}

export interface ValidateResult {
  readonly problems: Problem[];
  readonly resources: number;
  /** The files read, relative to the root (`<stdin>` for -). */
  readonly files: string[];
  /** Resources per file. */
  readonly counts: Record<string, number>;
}

export interface ValidateOptions {
  readonly kubernetesVersion?: string;
  readonly stdin?: () => string;
  /** Run the policy rules too. @default true */
  readonly policy?: boolean;
  /** The env of inputs that are not `dist/<env>/<app>.yaml` (for env-specific rules and severities). */
  readonly env?: string;
}

