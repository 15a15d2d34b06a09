export async function run(..._args: unknown[]): Promise<void> {
  throw new Error('svc-mesh dev: not implemented yet');
}
