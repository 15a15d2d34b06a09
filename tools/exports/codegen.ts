/** `svc-mesh-tools/codegen`: the programmatic codegen API (codegen/index.ts). */
export * from '../../codegen/index.js';
