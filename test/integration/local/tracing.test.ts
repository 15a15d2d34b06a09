/** Workers start tracing before the handler loads and export to the mesh's own OTLP endpoint. */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLocalMesh } from '../../../tools/local/index.js';
import { FIXTURES, clients, until } from './helpers.js';

describe('Local mesh: tracing', () => {
  it('collects one trace across a 3-hop chain from the workers', async () => {
    await using mesh = await startLocalMesh({ paths: [join(FIXTURES, 'graph')], quiet: true });
    expect(mesh.traces).toBeDefined();
    expect(mesh.env['OTEL_EXPORTER_OTLP_ENDPOINT']).toBe(mesh.endpoint);
    const { lambda } = clients(mesh.endpoint);
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'gateway-dev-checkout', Payload: '{"sku":"t"}' }));
    expect(out.FunctionError).toBeUndefined();
    let body = '';
    await until(async () => {
      body = await (await fetch(`${mesh.endpoint}/api/traces`)).text();
      return ['gateway', 'pricing', 'stock'].every((s) => body.includes(`"${s}"`));
    }, 30_000);
    const { traces } = JSON.parse(body) as { traces: { services: string[] }[] };
    expect(traces.some((t) => ['gateway', 'pricing', 'stock'].every((s) => t.services.includes(s)))).toBe(true);
  }, 60_000);
});
