export async function run(..._args: unknown[]): Promise<void> {
  throw new Error('svc-mesh traces: not implemented yet');
}
