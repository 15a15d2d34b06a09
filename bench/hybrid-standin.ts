/**
 * The stand-in "deployed stage" of the hybrid hop bench, in its own process (bench/hybrid.bench.ts
 * spawns it): a local mesh at stage dev serving `echo`, its discovery record written, and one
 * proxy per simulated round trip in front of it. Running it apart keeps the stand-in's own work
 * (the echo invocation, the proxies) off the event loop of the caller and the hybrid mesh being
 * measured, as a deployed stage is. Prints one JSON line `{ fronts: { "<rtt>": endpoint } }`,
 * then serves until stdin closes.
 */
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startCountingProxy } from '../test/helpers/counting-proxy.js';
import { startLocalMesh } from '../tools/local/index.js';

const rtts = (process.argv[2] ?? '0').split(',').map(Number);
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };
const dev = await startLocalMesh({
  stage: 'dev',
  port: 0,
  quiet: true,
  tracing: false,
  functions: [
    { service: 'echo', key: 'echo', stage: 'dev', file: 'test/fixtures/local/handlers/echo.ts', export: 'handler' },
  ],
});
const ssm = new SSMClient({ endpoint: dev.endpoint, region: 'us-east-1', credentials: creds });
await ssm.send(
  new PutParameterCommand({
    Name: '/svc-mesh/dev/echo/echo',
    Type: 'String',
    Overwrite: true,
    Value: JSON.stringify({ v: 1, functionArn: dev.fn('echo:echo', 'dev')!.arn }),
  }),
);
const proxies = await Promise.all(rtts.map((ms) => startCountingProxy(dev.endpoint, ms)));
process.stdout.write(
  `${JSON.stringify({ fronts: Object.fromEntries(rtts.map((ms, i) => [ms, proxies[i]!.endpoint])) })}\n`,
);
process.stdin.resume();
process.stdin.once('end', async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await dev.stop();
  process.exit(0);
});
