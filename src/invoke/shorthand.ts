/**
 * The short call forms of the 2016 plan, resolved to a full `service:function` before anything
 * else happens (so traces, errors, events and IAM only ever see full names):
 *
 *   sdk.invoke('otherService:someFunction', input)  the full name (unchanged; never comes here)
 *   sdk.invoke('someFunction', input)               the one declared target with that function name
 *   sdk.invoke(input)                               the only declared target
 *
 * How the forms are told apart, at run time and in the types: a string first argument is always
 * a name, never an input (with a ':' it is a full name, without one a function name); the
 * no-name form takes an object or array input only. A string (or number, boolean, null) input
 * therefore always needs a name: `sdk.invoke('someFunction', 'text')`.
 *
 * The short forms resolve only against a known calling list (`SVC_MESH_CALLING`, or the `calling`
 * option): outside a deployed function (scripts, tests, the CLI) they are an `INVALID_TARGET`
 * saying why. Every refusal happens before any request.
 * @internal
 */
import { AmbiguousTargetError } from '../errors/AmbiguousTargetError.js';
import { InvalidTargetError } from '../errors/InvalidTargetError.js';
import { UndeclaredCallError } from '../errors/UndeclaredCallError.js';
import { UnnamedCallError } from '../errors/UnnamedCallError.js';
import type { ResolvedConfig } from '../internal/config.js';
import { FUNCTION_NAME_RE, explainBad, parseTarget } from '../internal/names.js';

type Hop = 'sync' | 'async';
const method = (hop: Hop) => (hop === 'sync' ? 'invoke' : 'invokeAsync');

/**
 * One function's calling list, indexed once per Sdk: function name → its one declared target, or
 * every candidate when several services declare a function of that name.
 */
export class CallTable {
  readonly #self: string | undefined;
  /** undefined: no calling list is known here. */
  readonly #declared: readonly string[] | undefined;
  readonly #byName = new Map<string, string | readonly string[]>();

  constructor(config: Pick<ResolvedConfig, 'self' | 'calling' | 'callingList'>) {
    this.#self = config.self;
    this.#declared = config.calling === undefined ? undefined : [...config.callingList].sort();
    for (const t of this.#declared ?? []) {
      const fn = t.slice(t.indexOf(':') + 1);
      const seen = this.#byName.get(fn);
      this.#byName.set(fn, seen === undefined ? t : typeof seen === 'string' ? [seen, t] : [...seen, t]);
    }
  }

  /**
   * The full name a short call means (`first` is a string without ':', or not a string), or a
   * rejected promise with the typed reason. Never throws.
   */
  resolve(hop: Hop, first: unknown, second: unknown, third: unknown): string | Promise<never> {
    if (typeof first === 'string') {
      const hit = this.#byName.get(first);
      if (typeof hit === 'string') return hit;
      if (hit !== undefined) return Promise.reject(new AmbiguousTargetError(this.#self, first, hit, method(hop)));
      return this.#unknownName(hop, first);
    }
    try {
      return this.#unnamed(hop, first, second, third);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A function name that matches no declared target (or is not a function name at all). */
  async #unknownName(hop: Hop, name: string): Promise<never> {
    if (name.length === 0 || name.length > 256) parseTarget(name); // its own, exact INVALID_TARGET
    if (!FUNCTION_NAME_RE.test(name)) {
      throw new InvalidTargetError(
        name,
        `it has no ':' between service and function, and as a function name alone, ${explainBad(name, 'function', FUNCTION_NAME_RE, /[A-Za-z0-9_-]/)}. ` +
          `A string first argument is always a target name, never an input: to send a string, name the target, e.g. sdk.${method(hop)}('${this.#example()}', ${JSON.stringify(name)})`,
      );
    }
    if (this.#declared === undefined) {
      throw new InvalidTargetError(
        name,
        `it has no ':' between service and function. A function name alone resolves only inside a deployed function ` +
          `whose calling: list is known (SVC_MESH_CALLING, or createSdk({ calling })), and this runtime has none ` +
          `(a script, a test or the CLI?). Write the full name: sdk.${method(hop)}('<service>:${name}', input)`,
      );
    }
    throw await undeclaredCall(this.#self, name, this.#declared, true);
  }

  /** A name to show in a message: the one declared function name when there is one. */
  #example(): string {
    const only = this.#declared?.length === 1 ? this.#declared[0]! : 'service:someFunction';
    return only.slice(only.indexOf(':') + 1);
  }

  /** The no-name form: `sdk.invoke(input, options?)`. */
  #unnamed(hop: Hop, input: unknown, options: unknown, extra: unknown): string {
    const m = method(hop);
    // A boxed string (new String('a:b')) is neither a name nor an input: refused like a primitive.
    if (typeof input !== 'object' || input === null || input instanceof String) {
      throw new InvalidTargetError(
        input,
        `expected a string, got ${input === null ? 'null' : input instanceof String ? 'a String object' : typeof input}. The first argument is a target name ` +
          `('service:function', or a function name alone inside a function with a calling: list), or, in the ` +
          `no-name form sdk.${m}(input), an object or array input. Any other input needs a name: sdk.${m}('${this.#example()}', input)`,
      );
    }
    if (this.#declared === undefined) {
      throw new InvalidTargetError(
        input,
        `expected a string, got ${typeof input}. sdk.${m}(input) without a name calls the one target under ` +
          `calling:, which is known only inside a deployed function (SVC_MESH_CALLING, or createSdk({ calling })); ` +
          `this runtime has no calling list (a script, a test or the CLI?). Name the target: sdk.${m}('service:function', input)`,
      );
    }
    if (typeof options === 'string') {
      throw new InvalidTargetError(
        input,
        `expected a string, got ${typeof input}, and the second argument is the string ${JSON.stringify(options.slice(0, 80))}: ` +
          `are the arguments reversed? The name comes first: sdk.${m}(${JSON.stringify(options.slice(0, 80))}, input)`,
      );
    }
    if (extra !== undefined) {
      throw new InvalidTargetError(
        input,
        `expected a string, got ${typeof input}, with three arguments. sdk.${m}(input, options) without a name ` +
          `takes two; with a name it is sdk.${m}('service:function', input, options)`,
      );
    }
    if (this.#declared.length !== 1) throw new UnnamedCallError(this.#self, this.#declared, m);
    return this.#declared[0]!;
  }
}

/**
 * The UndeclaredCallError of `target` (full, or a function name alone when `shortName`), with the
 * closest declared names. fastest-levenshtein is loaded on this error path only.
 */
export async function undeclaredCall(
  caller: string | undefined,
  target: string,
  declared: readonly string[],
  shortName = false,
): Promise<UndeclaredCallError> {
  const suggestions = await closestTargets(target, declared, shortName);
  return new UndeclaredCallError(caller, target, declared, { suggestions, shortName });
}

/**
 * The names of `targets` closest to `target` (full names, or function names alone when
 * `shortName`), closest first, at most 3; empty when fastest-levenshtein cannot be loaded (it is
 * loaded here, on error paths only). Also used by `svc-mesh invoke` for a target a mesh does not run.
 */
export async function closestTargets(target: string, targets: readonly string[], shortName = false): Promise<string[]> {
  try {
    const { distance } = await import('fastest-levenshtein');
    const fnOf = (t: string) => t.slice(t.indexOf(':') + 1);
    const pool = shortName ? [...new Set(targets.map(fnOf))] : targets;
    const written = target.toLowerCase();
    const limit = Math.max(2, Math.floor(target.length / 3));
    return (
      pool
        .map((d) => ({ d, n: distance(written, d.toLowerCase()) }))
        // A full name whose function part matches (another service) is always worth naming.
        .filter(({ d, n }) => n <= limit || (!shortName && fnOf(d) === fnOf(target)))
        .sort((a, b) => a.n - b.n || (a.d < b.d ? -1 : 1))
        .slice(0, 3)
        .map(({ d }) => d)
    );
  } catch {
    // No suggestions without the library: the caller still lists every target.
    return [];
  }
}
