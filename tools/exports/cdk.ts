/** `svc-mesh-tools/cdk`: the CDK construct library (codegen/cdk), one model with serverless.yml. */
export * from '../../codegen/cdk/index.js';
