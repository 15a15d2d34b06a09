/**
 * SSM Parameter Store (awsJson1_1, `X-Amz-Target: AmazonSSM.<Op>`): PutParameter,
 * GetParameter, GetParameters, GetParametersByPath, DeleteParameter, DeleteParameters,
 * DescribeParameters. Versions (≤ 100), `name:version` selectors, ARNs, paging and the
 * name and size rules as AWS applies them.
 * @internal
 */
import type { RequestCtx } from '../context.js';
import type { MeshCore } from '../core.js';
import { isValidUtf8, readBody, send, sendJsonError } from '../http.js';
import { remoteParameters, remoteParameterView, sendSsmRemoteError } from '../remote/hooks.js';

const CT = 'application/x-amz-json-1.1';
const NAME_CHARS_RE = /^[a-zA-Z0-9_.\-/]+$/;

interface Version {
  value: string;
  type: 'String' | 'StringList' | 'SecureString';
  version: number;
  modified: number;
  tier: 'Standard' | 'Advanced';
  description?: string;
  dataType: string;
}

class SsmError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const validation = (msg: string) => new SsmError('ValidationException', msg);

export class SsmService {
  /** name → versions (oldest first). */
  readonly params = new Map<string, Version[]>();
  constructor(private readonly core: MeshCore) {}

  arn(name: string): string {
    return `arn:aws:ssm:${this.core.region}:${this.core.account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  }

  /** Seeding and tests: put without the wire. */
  put(name: string, value: string, type: Version['type'] = 'String', overwrite = true): number {
    const checked = this.checkName(name);
    const existing = this.params.get(checked);
    if (existing !== undefined && !overwrite) {
      throw new SsmError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    const versions = existing ?? [];
    const last = versions.at(-1);
    const next = (last?.version ?? 0) + 1;
    if (versions.length >= 100) {
      throw new SsmError(
        'ParameterMaxVersionLimitExceeded',
        `You attempted to create a new version of ${checked} by calling the PutParameter API with the overwrite flag. Version ${versions[0]!.version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`,
      );
    }
    versions.push({
      value,
      type,
      version: next,
      modified: Date.now() / 1000,
      tier: value.length > 4096 ? 'Advanced' : 'Standard',
      dataType: 'text',
    });
    this.params.set(checked, versions);
    return next;
  }

  private checkName(raw: string): string {
    const name = raw.trim();
    if (name.length === 0)
      throw validation('Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).');
    // /aws/ is AWS's own tree (public parameters): writing there is denied, not invalid
    if (/^\/aws\//i.test(name))
      throw new SsmError('AccessDeniedException', `No access to reserved parameter name: ${name.slice(0, 1011)}.`);
    if (/^\/?(aws|ssm)/i.test(name)) {
      throw validation('Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).');
    }
    if (!NAME_CHARS_RE.test(name)) {
      throw validation(
        'Parameter name: can only contain letters, numbers, and the symbols . - _ and /. A hierarchical name must start with a slash.',
      );
    }
    if (name.includes('/') && !name.startsWith('/')) throw validation('Parameter name must be a fully qualified name.');
    if (name.includes('//') || (name.length > 1 && name.endsWith('/'))) {
      throw validation('Parameter name must be a fully qualified name.');
    }
    if (this.arn(name).length > 1011) {
      throw validation(
        `Parameter name: ${name.slice(0, 50)}… is longer than 1011 characters including the ARN prefix.`,
      );
    }
    if (name.split('/').length - 1 > 15) {
      throw new SsmError('HierarchyLevelLimitExceededException', 'A hierarchy can have a maximum of 15 levels.');
    }
    return name;
  }

  private lookupOrUndefined(selector: string): { name: string; v: Version } | undefined {
    try {
      return this.lookup(selector);
    } catch (e) {
      if (e instanceof SsmError && e.type === 'ParameterVersionNotFound') return undefined;
      throw e;
    }
  }

  /** `name`, `name:version`, or an ARN of either; a version that does not exist throws ParameterVersionNotFound. */
  private lookup(selector: string): { name: string; v: Version } | undefined {
    let s = selector;
    let fromArn = false;
    if (s.startsWith('arn:')) {
      const prefix = `arn:aws:ssm:${this.core.region}:${this.core.account}:parameter/`;
      if (!s.startsWith(prefix)) return undefined;
      s = `/${s.slice(prefix.length)}`;
      fromArn = true;
    }
    let version: number | undefined;
    const m = /^(.*):(\d+)$/.exec(s);
    if (m) {
      s = m[1]!;
      version = Number(m[2]);
    }
    let name = s;
    let versions = this.params.get(name);
    if (versions === undefined && fromArn) {
      name = s.slice(1);
      versions = this.params.get(name);
    }
    if (versions === undefined) return undefined;
    const v = version === undefined ? versions.at(-1) : versions.find((x) => x.version === version);
    if (v === undefined)
      throw new SsmError(
        'ParameterVersionNotFound',
        `Systems Manager could not find version ${version} of ${name}. Verify the version and try again.`,
      );
    return { name, v };
  }

  private view(name: string, v: Version, selector?: string): Record<string, unknown> {
    const out: Record<string, unknown> = {
      Name: name,
      Type: v.type,
      Value: v.value,
      Version: v.version,
      LastModifiedDate: v.modified,
      ARN: this.arn(name),
      DataType: v.dataType,
    };
    if (selector !== undefined) out['Selector'] = selector;
    return out;
  }

  async handle(ctx: RequestCtx, op: string): Promise<void> {
    const body = await readBody(ctx.req, 1024 * 1024);
    if (body.aborted && !body.tooLarge) return;
    const err = (e: SsmError) =>
      sendJsonError(ctx.res, ctx.requestId, e.status, e.type, e.message, { contentType: CT });
    if (body.tooLarge) {
      err(validation('The request is too large.'));
      if (body.aborted) ctx.res.once('finish', () => ctx.req.socket?.destroy());
      return;
    }
    let input: Record<string, unknown>;
    try {
      if (!isValidUtf8(body.body)) throw new Error('invalid UTF-8');
      const parsed: unknown = body.body.length === 0 ? {} : JSON.parse(body.body.toString('utf8'));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      input = parsed as Record<string, unknown>;
    } catch (e) {
      return err(
        new SsmError('SerializationException', `Could not parse the request body as JSON: ${(e as Error).message}`),
      );
    }
    // Hybrid mode: discovery records the mesh does not hold come from the deployed stage (read-only).
    let remote: Map<string, string> | undefined;
    if (op === 'GetParameters' || op === 'GetParameter') {
      const names = op === 'GetParameter' ? [input['Name']] : Array.isArray(input['Names']) ? input['Names'] : [];
      try {
        const action = `ssm:${op}`;
        const ok = names.length <= 10 ? names.filter((n): n is string => typeof n === 'string') : [];
        remote = await remoteParameters(
          this.core,
          ctx,
          ok,
          (n) => this.lookup(n) !== undefined,
          (n) => this.arn(n),
          action,
        );
      } catch (e) {
        return sendSsmRemoteError(ctx, e);
      }
    }
    try {
      const out = this.dispatch(ctx, op, input, remote);
      send(ctx.res, 200, { 'Content-Type': CT, 'x-amzn-RequestId': ctx.requestId }, JSON.stringify(out));
    } catch (e) {
      if (e instanceof SsmError) return err(e);
      throw e;
    }
  }

  private check(ctx: RequestCtx, action: string, name: string): void {
    const resource = name.startsWith('arn:') ? name.replace(/:\d+$/, '') : this.arn(name.replace(/:\d+$/, ''));
    const d = this.core.authorize(ctx.principal, action, resource);
    if (d !== undefined) throw new SsmError('AccessDeniedException', d.message);
  }

  private dispatch(
    ctx: RequestCtx,
    op: string,
    input: Record<string, unknown>,
    remote?: Map<string, string>,
  ): Record<string, unknown> {
    switch (op) {
      case 'GetParameter': {
        const name = str(input, 'Name', true)!;
        this.check(ctx, 'ssm:GetParameter', name);
        const r = this.lookup(name);
        const rv = r === undefined ? remote?.get(name) : undefined;
        if (rv !== undefined) return { Parameter: remoteParameterView(name, rv, this.arn(name)) };
        if (r === undefined) throw new SsmError('ParameterNotFound', '');
        const sel = /:(\d+)$/.exec(name)?.[0];
        return { Parameter: this.view(r.name, r.v, sel) };
      }
      case 'GetParameters': {
        const names = input['Names'];
        if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
          throw validation(
            "1 validation error detected: Value null at 'names' failed to satisfy constraint: Member must not be null",
          );
        }
        if (names.length > 10) {
          throw validation(
            `1 validation error detected: Value '[${names.join(', ')}]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 10`,
          );
        }
        for (const n of names) this.check(ctx, 'ssm:GetParameters', n);
        const found: Record<string, unknown>[] = [];
        const invalidNames: string[] = [];
        for (const n of new Set(names as string[])) {
          // a missing version is an invalid name here, not an error
          const r = this.lookupOrUndefined(n);
          const rv = r === undefined ? remote?.get(n) : undefined;
          if (rv !== undefined) found.push(remoteParameterView(n, rv, this.arn(n)));
          else if (r === undefined) invalidNames.push(n);
          else found.push(this.view(r.name, r.v, /:(\d+)$/.exec(n)?.[0]));
        }
        found.sort((a, b) => ((a['Name'] as string) < (b['Name'] as string) ? -1 : 1));
        return { Parameters: found, InvalidParameters: invalidNames };
      }
      case 'GetParametersByPath': {
        const path = str(input, 'Path', true)!;
        if (!path.startsWith('/'))
          throw validation(
            'The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/".',
          );
        this.check(ctx, 'ssm:GetParametersByPath', path);
        const recursive = input['Recursive'] === true;
        const max = input['MaxResults'] === undefined ? 10 : Number(input['MaxResults']);
        if (!Number.isInteger(max) || max < 1 || max > 10) {
          throw validation(
            `1 validation error detected: Value '${String(input['MaxResults'])}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10`,
          );
        }
        const prefix = path.endsWith('/') ? path : `${path}/`;
        const names = [...this.params.keys()]
          .filter((n) => n.startsWith(prefix) && (recursive || !n.slice(prefix.length).includes('/')))
          .sort();
        const token = input['NextToken'];
        let start = 0;
        if (token !== undefined) {
          const m =
            typeof token === 'string' ? /^svc-mesh:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8')) : null;
          if (!m || Number(m[1]) > names.length)
            throw new SsmError('InvalidNextToken', "The specified token isn't valid.");
          start = Number(m[1]);
        }
        const page = names.slice(start, start + max);
        const out: Record<string, unknown> = { Parameters: page.map((n) => this.view(n, this.params.get(n)!.at(-1)!)) };
        if (start + max < names.length) out['NextToken'] = Buffer.from(`svc-mesh:${start + max}`).toString('base64');
        return out;
      }
      case 'PutParameter': {
        const name = str(input, 'Name', true)!;
        const value = str(input, 'Value', true)!;
        this.check(ctx, 'ssm:PutParameter', name);
        const type = input['Type'];
        const existing = this.params.get(name.trim());
        if (type !== undefined && type !== 'String' && type !== 'StringList' && type !== 'SecureString') {
          throw validation(
            `1 validation error detected: Value '${String(type)}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`,
          );
        }
        if (type === undefined && existing === undefined)
          throw validation('A parameter type is required when you create a parameter.');
        const tier = input['Tier'] ?? 'Standard';
        const limit = tier === 'Advanced' || tier === 'Intelligent-Tiering' ? 8192 : 4096;
        if (value.length > limit) {
          throw validation(
            limit === 4096
              ? 'Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.'
              : 'Advanced tier parameters support a maximum parameter value of 8192 characters.',
          );
        }
        const version = this.put(
          name,
          value,
          (type ?? existing?.at(-1)?.type) as Version['type'],
          input['Overwrite'] === true,
        );
        const v = this.params.get(name.trim())!.at(-1)!;
        if (typeof input['Description'] === 'string') v.description = input['Description'];
        if (typeof input['DataType'] === 'string') v.dataType = input['DataType'];
        v.tier = limit === 8192 ? 'Advanced' : 'Standard';
        return { Version: version, Tier: v.tier };
      }
      case 'DeleteParameter': {
        const name = str(input, 'Name', true)!;
        this.check(ctx, 'ssm:DeleteParameter', name);
        if (!this.params.delete(name)) throw new SsmError('ParameterNotFound', '');
        return {};
      }
      case 'DeleteParameters': {
        const names = input['Names'];
        if (
          !Array.isArray(names) ||
          names.length === 0 ||
          names.length > 10 ||
          !names.every((n) => typeof n === 'string')
        ) {
          throw validation(
            "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10",
          );
        }
        for (const n of names) this.check(ctx, 'ssm:DeleteParameters', n);
        const deleted: string[] = [];
        const invalidNames: string[] = [];
        for (const n of names as string[]) (this.params.delete(n) ? deleted : invalidNames).push(n);
        return { DeletedParameters: deleted, InvalidParameters: invalidNames };
      }
      case 'DescribeParameters': {
        this.check(ctx, 'ssm:DescribeParameters', '*');
        const names = [...this.params.keys()].sort();
        const max = Math.min(50, Math.max(1, Number(input['MaxResults'] ?? 50) || 50));
        const token = input['NextToken'];
        const start =
          typeof token === 'string'
            ? Number(/^svc-mesh:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'))?.[1] ?? Number.NaN)
            : 0;
        if (!Number.isInteger(start) || start < 0)
          throw new SsmError('InvalidNextToken', "The specified token isn't valid.");
        const page = names.slice(start, start + max);
        const out: Record<string, unknown> = {
          Parameters: page.map((n) => {
            const v = this.params.get(n)!.at(-1)!;
            return {
              Name: n,
              ARN: this.arn(n),
              Type: v.type,
              Version: v.version,
              LastModifiedDate: v.modified,
              Tier: v.tier,
              DataType: v.dataType,
            };
          }),
        };
        if (start + max < names.length) out['NextToken'] = Buffer.from(`svc-mesh:${start + max}`).toString('base64');
        return out;
      }
      default:
        throw new SsmError(
          'UnknownOperationException',
          `The local mesh does not implement AmazonSSM.${op.slice(0, 100)}.`,
        );
    }
  }
}

function str(input: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) {
    if (required) {
      throw validation(
        `1 validation error detected: Value null at '${key.charAt(0).toLowerCase()}${key.slice(1)}' failed to satisfy constraint: Member must not be null`,
      );
    }
    return undefined;
  }
  if (typeof v !== 'string') throw new SsmError('SerializationException', `${key} must be a string`);
  if (required && v.length === 0) {
    throw validation(
      `1 validation error detected: Value '' at '${key.charAt(0).toLowerCase()}${key.slice(1)}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  }
  return v;
}
