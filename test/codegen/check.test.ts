import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { breakingChanges } from '../../codegen/contracts/check.js';
import { makeContract } from '../../codegen/contracts/io.js';
import type { FunctionContract, JsonSchema, ServiceContract } from '../../codegen/index.js';
import { runCodegen, tempProject } from './helpers/project.js';

const obj = (properties: Record<string, JsonSchema>, required: string[] = Object.keys(properties)): JsonSchema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const str = { type: 'string' };
const num = { type: 'number' };
const fn = (input: JsonSchema, output: JsonSchema, subscribable = false): FunctionContract => ({
  subscribable,
  input,
  output,
});
const contract = (
  functions: Record<string, FunctionContract>,
  defs: Record<string, JsonSchema> = {},
): Record<string, ServiceContract> => ({
  pay: makeContract('pay', functions, defs),
});

const base = contract({
  charge: fn(obj({ orderId: str, amount: num }), obj({ chargeId: str, status: { enum: ['paid', 'declined'] } }), true),
  refund: fn(obj({ chargeId: str }), obj({ ok: { type: 'boolean' } })),
});

describe('Function: breakingChanges', () => {
  it('passes identical and additive changes', () => {
    expect(breakingChanges(base, base)).toEqual([]);
    const additive = contract({
      charge: fn(
        obj({ orderId: str, amount: num, note: str }, ['orderId', 'amount']), // new optional input
        obj({ chargeId: str, status: { enum: ['paid', 'declined'] }, receipt: str }), // new output field
        true,
      ),
      refund: fn(obj({ chargeId: { anyOf: [str, num] } }), obj({ ok: { type: 'boolean' } })), // widened input
      capture: fn(obj({ id: str }), obj({})), // new function
    });
    expect(breakingChanges(base, additive)).toEqual([]);
  });

  it('reports a removed function, a new required input, a changed type and a removed output field', () => {
    const next = contract({
      charge: fn(
        obj({ orderId: num, amount: num, currency: str }), // orderId type changed, currency now required
        obj({ status: { enum: ['paid', 'declined', 'pending'] } }), // chargeId removed, status widened
        false, // no longer subscribable
      ),
    });
    expect(breakingChanges(base, next).map((c) => [c.function, c.kind, c.path, c.message])).toEqual([
      [
        'charge',
        'subscribable-removed',
        'subscribable',
        'no longer subscribable: subscribers lose their lifecycle topics',
      ],
      [
        'charge',
        'input-field-required',
        'input.currency',
        "new required input field 'currency' (callers do not send it yet); make it optional",
      ],
      ['charge', 'type-changed', 'input.orderId', 'type changed from string to number'],
      ['charge', 'output-field-removed', 'output.chargeId', "output field 'chargeId' was removed"],
      [
        'charge',
        'type-changed',
        'output.status',
        'type changed from "paid" | "declined" to "paid" | "declined" | "pending"',
      ],
      ['refund', 'function-removed', '', "function 'refund' was removed"],
    ]);
  });

  it('follows $ref definitions, including recursive ones, without looping', () => {
    const tree = (leaf: JsonSchema) =>
      contract(
        { walk: fn({ $ref: '#/definitions/Node' }, obj({})) },
        { Node: obj({ value: leaf, children: { type: 'array', items: { $ref: '#/definitions/Node' } } }) },
      );
    expect(breakingChanges(tree(num), tree(num))).toEqual([]);
    expect(breakingChanges(tree(num), tree(str)).map((c) => c.path)).toEqual(['input.value']);
  });

  it('does not hold subscribers to a caller contract (SNS invokes them)', () => {
    const sub = (input: JsonSchema): FunctionContract => ({ ...fn(input, {}), kind: 'subscriber' });
    expect(
      breakingChanges(contract({ onPaid: sub(obj({ a: str })) }), contract({ onPaid: sub(obj({ a: num, b: str })) })),
    ).toEqual([]);
    expect(breakingChanges(contract({ onPaid: sub(obj({ a: str })) }), contract({}))).toEqual([]);
  });

  it('hashes contracts so that reordered fields keep the same hash, and any real change changes it', () => {
    const h = (input: JsonSchema) => makeContract('pay', { charge: fn(input, obj({})) }, {}).hash;
    const ab = h(obj({ a: str, b: num }));
    expect(
      h({ type: 'object', properties: { b: num, a: str }, required: ['b', 'a'], additionalProperties: false }),
    ).toBe(ab);
    expect(h(obj({ a: str, b: str }))).not.toBe(ab);
    expect(h(obj({ a: str, b: num }, ['a']))).not.toBe(ab);
    expect(ab).toMatch(/^sha256-[A-Za-z0-9+/]{43}=$/);
  });

  it('treats a removed service as every function removed', () => {
    expect(breakingChanges(base, {}).map((c) => c.message)).toEqual([
      "service 'pay' was removed",
      "service 'pay' was removed",
    ]);
  });
});

describe('CLI: svc-codegen check --against', () => {
  it('exits 0 on additive changes and 1 on a breaking one, with the change listed', async () => {
    using p = tempProject({
      'pay/serverless.yml': 'service: pay\nprovider:\n  name: aws\nfunctions:\n  charge:\n    handler: h.charge\n',
      'pay/h.ts':
        'export const charge = async (input: { orderId: string }): Promise<{ chargeId: string }> => ({ chargeId: input.orderId });\n',
    });
    const prev = join(p.dir, 'prev');
    expect((await runCodegen([join(p.dir, 'pay'), '--out', prev])).code).toBe(0);
    const contracts = join(prev, 'contracts');
    // Additive: a new optional input field.
    writeFileSync(
      join(p.dir, 'pay/h.ts'),
      'export const charge = async (input: { orderId: string; note?: string }): Promise<{ chargeId: string; at: number }> => ({ chargeId: input.orderId, at: 1 });\n',
    );
    const ok = await runCodegen(['check', join(p.dir, 'pay'), '--against', contracts]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('no breaking changes in 1 contract');
    // Breaking: a new required input field.
    writeFileSync(
      join(p.dir, 'pay/h.ts'),
      'export const charge = async (input: { orderId: string; amount: number }): Promise<{ chargeId: string }> => ({ chargeId: input.orderId });\n',
    );
    const bad = await runCodegen(['check', join(p.dir, 'pay'), '--against', contracts]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("pay:charge input.amount: new required input field 'amount'");
    // Comparing two contract directories works without sources.
    cpSync(contracts, join(p.dir, 'same'), { recursive: true });
    expect((await runCodegen(['check', '--against', contracts, '--current', join(p.dir, 'same')])).code).toBe(0);
  });
});
