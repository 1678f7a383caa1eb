// Comparing secrets (or their digests) without an early exit: how long a comparison takes says
// nothing about how much of a secret a guess got right. Strings are compared as they are, so the
// proxy's per-request check allocates nothing.

/** Whether two secrets are equal, every character compared whatever the first difference. */
export function sameSecret(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
