/**
 * Remembers the last few results of a pure one-argument function. Several skills look at the
 * same message in one turn (feedback, flows, small talk, answers); this keeps that to one
 * normalisation and one retrieval per message. Results must be treated as read-only.
 */
export function memoizeRecent<A, R>(fn: (arg: A) => R, size = 32): (arg: A) => R {
  const cache = new Map<A, R>();
  return (arg: A) => {
    const hit = cache.get(arg);
    if (hit !== undefined || cache.has(arg)) return hit as R;
    const value = fn(arg);
    if (cache.size >= size) cache.delete(cache.keys().next().value as A);
    cache.set(arg, value);
    return value;
  };
}
