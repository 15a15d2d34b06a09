/**
 * CloudFormation (awsQuery, XML): ListExports, 100 per page, as svc-mesh discovery reads
 * them. Other actions answer InvalidAction in CloudFormation's own error format.
 * @internal
 */
import type { RequestCtx } from '../context.js';
import type { MeshCore } from '../core.js';
import { sendQueryError, sendQueryResult, xmlEscape } from '../http.js';

export const CFN_XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

export interface ExportRecord {
  name: string;
  value: string;
  stackId: string;
}

export class CloudFormationService {
  readonly exports = new Map<string, ExportRecord>();
  constructor(private readonly core: MeshCore) {}

  /** Seeding: export names are unique per account and region, as in CloudFormation. */
  addExport(name: string, value: string, stack: string): void {
    const existing = this.exports.get(name);
    if (existing !== undefined && existing.value !== value) {
      throw new Error(
        `Export with name ${name} is already exported by stack ${existing.stackId}. Export names must be unique across a given region.`,
      );
    }
    this.exports.set(name, {
      name,
      value,
      stackId: `arn:aws:cloudformation:${this.core.region}:${this.core.account}:stack/${stack}/00000000-0000-4000-8000-000000000000`,
    });
  }

  handle(ctx: RequestCtx, form: Map<string, string>) {
    const action = form.get('Action') ?? '';
    if (action !== 'ListExports') {
      return sendQueryError(
        ctx.res,
        ctx.requestId,
        CFN_XMLNS,
        400,
        'InvalidAction',
        `The action ${action.slice(0, 100)} is not valid for this web service.`,
      );
    }
    const d = this.core.authorize(ctx.principal, 'cloudformation:ListExports', '*');
    if (d !== undefined) return sendQueryError(ctx.res, ctx.requestId, CFN_XMLNS, 403, 'AccessDenied', d.message);
    const all = [...this.exports.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const token = form.get('NextToken');
    let start = 0;
    if (token !== undefined && token !== '') {
      const m = /^svc-mesh:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
      if (!m || Number(m[1]) > all.length) {
        return sendQueryError(ctx.res, ctx.requestId, CFN_XMLNS, 400, 'ValidationError', 'Invalid NextToken');
      }
      start = Number(m[1]);
    }
    const page = all.slice(start, start + 100);
    const members = page
      .map(
        (e) =>
          `<member><ExportingStackId>${xmlEscape(e.stackId)}</ExportingStackId><Name>${xmlEscape(e.name)}</Name><Value>${xmlEscape(e.value)}</Value></member>`,
      )
      .join('');
    const next =
      start + 100 < all.length
        ? `<NextToken>${Buffer.from(`svc-mesh:${start + 100}`).toString('base64')}</NextToken>`
        : '';
    sendQueryResult(ctx.res, ctx.requestId, CFN_XMLNS, 'ListExports', `<Exports>${members}</Exports>${next}`);
  }
}
