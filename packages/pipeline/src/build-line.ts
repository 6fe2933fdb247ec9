/**
 * The line that reports an overlay that did not build: what stopped it (kustomize's failure, or a
 * refusal before kustomize ran) and the earlier built file removed for it. A module of its own, so
 * that printing it loads nothing else.
 */
export function buildFailureLine(b: {
  readonly overlay: string;
  readonly error?: string;
  readonly refused?: true;
  readonly removed?: string;
}): string {
  const gone = b.removed ? `; removed ${b.removed}, an earlier build's output, so that nothing judges it as this overlay's` : '';
  return b.refused ? `${b.overlay}: not built (kustomize was not run): ${b.error}${gone}` : `${b.overlay}: kustomize build failed: ${b.error}${gone}`;
}
