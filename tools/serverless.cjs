'use strict';
/**
 * Serverless Framework v3 plugin: `plugins: [svc-mesh-tools/serverless]`.
 *
 * Declares the schema of `calling:`, `subscribable:`, the `function` event and `custom.svcMesh`
 * (so the framework validates them instead of warning), and during `serverless package` adds
 * per-function roles and policies, lifecycle topics, subscriptions, Lambda permissions, SSM
 * discovery records, exports and the SVC_MESH_* environment to the compiled template.
 *
 * The framework loads plugins with require(), so this entry is CommonJS; the work is done by the
 * ESM codegen, imported on first use (the built one in a published package, the TypeScript
 * sources through tsx in a checkout: bin/entry.js).
 */
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

/** In a checkout the codegen sources sit beside tools/ (see bin/entry.js); installed, dist/ has them. */
const CODEGEN = existsSync(join(__dirname, '..', 'codegen', 'cli.ts'))
  ? join(__dirname, '..', 'codegen')
  : join(__dirname, 'dist', 'codegen');

// The schemas live in one JSON file, read here synchronously (the framework validates the config
// before any hook runs) and by the ESM implementation.
const SCHEMAS = require(join(CODEGEN, 'emit', 'serverless-schema.json'));

async function loadImplementation() {
  const { importEntry } = await import(pathToFileURL(join(__dirname, 'bin', 'entry.js')).href);
  return importEntry('dist/codegen/emit/serverless-plugin.js', 'codegen/emit/serverless-plugin.ts');
}

class SvcMeshServerlessPlugin {
  constructor(serverless, options, utils) {
    this.serverless = serverless;
    this.options = options || {};
    this.log = utils?.log || console;
    const schema = serverless.configSchemaHandler;
    if (schema) {
      schema.defineFunctionProperties('aws', SCHEMAS.functionProperties);
      schema.defineFunctionEvent('aws', 'function', SCHEMAS.functionEvent);
      schema.defineCustomProperties({ properties: { svcMesh: SCHEMAS.custom } });
    }
    this.hooks = {
      'after:package:compileEvents': () => this.apply(),
      // Before CloudFormation is called: refuse a subscriber whose publisher is not deployed yet.
      'before:deploy:deploy': () => this.checkDeployOrder(),
      // After the framework merged `resources:` (where merge: false expects the wiring).
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.checkFragment(),
    };
  }

  async checkFragment() {
    const sls = this.serverless;
    if (sls.service.custom?.svcMesh?.merge !== false) return;
    const provider = sls.getProvider('aws');
    const impl = await loadImplementation();
    const template = sls.service.provider.compiledCloudFormationTemplate;
    const problems = impl.fragmentProblems({ ...this.run(provider), template });
    if (problems.length > 0) throw new sls.classes.Error(problems.join('\n'), 'SVC_MESH_FRAGMENT_MISSING');
  }

  run(provider) {
    const sls = this.serverless;
    return {
      serviceDir: sls.serviceDir || sls.config.servicePath,
      serviceName: sls.service.service,
      stage: provider.getStage(),
      region: provider.getRegion(),
      config: sls.service.custom?.svcMesh || {},
    };
  }

  async checkDeployOrder() {
    const sls = this.serverless;
    const provider = sls.getProvider('aws');
    const impl = await loadImplementation();
    const problem = await impl.deployOrderProblem(this.run(provider), provider);
    if (problem !== undefined) throw new sls.classes.Error(problem, 'SVC_MESH_DEPLOY_ORDER');
  }

  async apply() {
    const sls = this.serverless;
    const provider = sls.getProvider('aws');
    const impl = await loadImplementation();
    const custom = sls.service.custom?.svcMesh || {};
    const roleMode = impl.iamRoleModeProblem(sls.service.provider);
    if (roleMode !== undefined) throw new sls.classes.Error(roleMode, 'SVC_MESH_IAM_ROLE_MODE');
    // merge: false — the wiring comes from `resources: ${file(…)}`; checkFragment() looks for it.
    if (custom.merge === false) return;
    try {
      const result = await impl.applySvcMesh({
        serviceDir: sls.serviceDir || sls.config.servicePath,
        serviceName: sls.service.service,
        stage: provider.getStage(),
        region: provider.getRegion(),
        config: custom,
        template: sls.service.provider.compiledCloudFormationTemplate,
      });
      for (const w of result.warnings) this.warn(impl.formatDiagnostic(w));
      if (typeof this.log.info === 'function') this.log.info(result.summary);
    } catch (err) {
      if (err && Array.isArray(err.diagnostics)) {
        const lines = err.diagnostics.map((d) => impl.formatDiagnostic(d));
        throw new sls.classes.Error(`svc-mesh: ${lines.join('\n')}`, err.code || 'SVC_MESH_CODEGEN');
      }
      throw err;
    }
  }

  warn(message) {
    if (typeof this.log.warning === 'function') this.log.warning(message);
    else if (typeof this.log.warn === 'function') this.log.warn(message);
  }
}

module.exports = SvcMeshServerlessPlugin;
