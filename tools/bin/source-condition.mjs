// Module hooks for a checkout (see ./entry.js): resolve packages with the `source` export condition,
// so 'svc-mesh' and its subpaths load the runtime's TypeScript sources (src/), never a stale dist/.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('source') ? context.conditions : [...context.conditions, 'source'];
  return nextResolve(specifier, { ...context, conditions });
}
