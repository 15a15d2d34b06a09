/**
 * `svc-mesh/local`: the local mesh. Dev-time only; never imported from the runtime path.
 * (Implementation lands with the local mesh issue.)
 */
export {};
