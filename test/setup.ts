// Shared test environment: never reach real AWS, never probe instance metadata.
const env = process.env;
env['AWS_EC2_METADATA_DISABLED'] = 'true';
env['AWS_REGION'] ??= 'us-east-1';
env['AWS_ACCESS_KEY_ID'] ??= 'test';
env['AWS_SECRET_ACCESS_KEY'] ??= 'test';
env['AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE'] = '1';
