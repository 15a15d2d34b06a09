/**
 * Who is calling: the access key id from a SigV4 `Authorization` header (or a presigned
 * URL's `X-Amz-Credential`). The signature is not verified: every key is a dummy key,
 * and the mesh only needs the key to know which function (if any) is calling.
 * @internal
 */
import type { IncomingMessage } from 'node:http';

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

const CREDENTIAL_RE = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

export function parseCredentialScope(req: IncomingMessage, url: URL): CredentialScope | undefined {
  const auth = req.headers.authorization;
  let m: RegExpExecArray | null = null;
  if (typeof auth === 'string' && auth.startsWith('AWS4-HMAC-SHA256')) m = CREDENTIAL_RE.exec(auth);
  // A presigned URL (query credential) only for reads: a form or beacon from a page can put one in
  // its URL, but cannot set an Authorization header (docs/security.md).
  if (m === null && (req.method === 'GET' || req.method === 'HEAD')) {
    const q = url.searchParams.get('X-Amz-Credential');
    if (q !== null) m = CREDENTIAL_RE.exec(`Credential=${q}`);
  }
  if (m === null) return undefined;
  return { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]! };
}
