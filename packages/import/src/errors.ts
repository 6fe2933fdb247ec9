import type { Environment } from '@strata/core';

/**
 * The sources cannot be imported as they are (an unsupported feature, a round trip that differs):
 * one line per problem, each saying where and what to do. Nothing was written.
 */
export class ImportError extends Error {
  override readonly name = 'ImportError';
  constructor(readonly lines: readonly string[]) {
    super(lines.join('\n'));
  }
}

/**
 * Two objects of one env that the app would hold as one (the same kind, namespace and name): which
 * env, the object, and the index of each in the env's objects, for the caller to name where both are.
 */
export class DuplicateObjectError extends ImportError {
  constructor(
    readonly env: Environment,
    readonly object: string,
    readonly first: number,
    readonly second: number,
  ) {
    super([`${env}: two objects are ${object}; an app holds each object once`]);
  }
}
