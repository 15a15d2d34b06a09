/**
 * A Lambda context as the Node.js runtime hands it to a handler: a deadline `remainingMs` from now,
 * and optionally the caller's ClientContext `custom` (where svc-mesh carries its envelope).
 */
export function lambdaContext(
  remainingMs: number,
  custom?: Record<string, string>,
  functionName = 'orders-dev-placeOrder',
) {
  const deadline = Date.now() + remainingMs;
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '128',
    awsRequestId: 'req-1',
    logGroupName: '',
    logStreamName: '',
    clientContext: custom ? { custom } : undefined,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}
