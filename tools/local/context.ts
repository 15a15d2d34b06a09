/** The per-request context the dispatcher hands to each protocol handler. @internal */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CredentialScope, Principal } from './iam/index.js';

export interface RequestCtx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  requestId: string;
  scope: CredentialScope | undefined;
  principal: Principal;
}
