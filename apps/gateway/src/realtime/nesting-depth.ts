type Container = unknown[] | Record<string, unknown>;

/** Arrays and plain objects (what JSON decodes to); Buffers and other objects count as leaves. */
function isContainer(value: unknown): value is Container {
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Whether `value` nests arrays and plain objects more than `maxDepth` levels deep (a container at the top is
 * level 1, a scalar is level 0). Iterative, so measuring a hostile value cannot overflow the stack; it stops at
 * the first container found too deep.
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: Array<{ container: Container; depth: number }> = isContainer(value) ? [{ container: value, depth: 1 }] : [];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.depth > maxDepth) return true;
    for (const child of Object.values(next.container)) {
      if (isContainer(child)) pending.push({ container: child, depth: next.depth + 1 });
    }
  }
  return false;
}
