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
