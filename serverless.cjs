'use strict';
// Serverless Framework v3 plugin entry (`plugins: [svc-mesh/serverless]`). Implementation lands with codegen.
class SvcMeshPlugin {}
module.exports = SvcMeshPlugin;
