/** `svc-mesh/codegen`: the programmatic codegen API (loadProject, generate). */
export type * from './model.js';
