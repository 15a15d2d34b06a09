// Shared test environment: never reach real AWS, never probe instance metadata.
const env = process.env;
env['AWS_EC2_METADATA_DISABLED'] = 'true';
env['AWS_REGION'] ??= 'us-east-1';
env['AWS_ACCESS_KEY_ID'] ??= 'test';
env['AWS_SECRET_ACCESS_KEY'] ??= 'test';
env['AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE'] = '1';
// The SDK's 8-line Node-version notice, once per test file, is noise in test output (the CLIs say it once).
env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
