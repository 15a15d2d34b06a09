/**
 * Lambda's FunctionName forms (name, name:qualifier, full ARN, partial ARN), parsed with
 * the pattern from the Invoke API reference.
 * @internal
 */

const FUNCTION_NAME_RE =
  /^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?$/;
const QUALIFIER_RE = /^[a-zA-Z0-9$_-]{1,128}$/;

export interface ParsedFunctionName {
  name: string;
  /** From a full ARN: `aws`, `aws-cn`, `aws-us-gov`, … */
  partition?: string;
  region?: string;
  account?: string;
  qualifier?: string;
}

export type NameError = { type: 'ValidationException' | 'InvalidParameterValueException'; message: string };

export function parseFunctionName(raw: string, qualifierParam: string | null): ParsedFunctionName | NameError {
  const m = raw.length >= 1 && raw.length <= 170 ? FUNCTION_NAME_RE.exec(raw) : null;
  if (m === null) {
    return {
      type: 'ValidationException',
      message:
        `1 validation error detected: Value '${raw.slice(0, 200)}' at 'functionName' failed to satisfy constraint: ` +
        'Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?',
    };
  }
  const name = m[10]!;
  if (name.length > 64) {
    return {
      type: 'ValidationException',
      message: `1 validation error detected: Value '${name}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64`,
    };
  }
  const out: ParsedFunctionName = { name };
  if (m[1] !== undefined) out.partition = m[2] ?? '';
  if (m[3] !== undefined) out.region = m[3].slice(0, -1);
  if (m[8] !== undefined) out.account = m[8].slice(0, -1);
  const fromName = m[12];
  if (qualifierParam !== null && !QUALIFIER_RE.test(qualifierParam)) {
    return {
      type: 'ValidationException',
      message: `1 validation error detected: Value '${qualifierParam.slice(0, 200)}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)`,
    };
  }
  if (fromName !== undefined && qualifierParam !== null && fromName !== qualifierParam) {
    return {
      type: 'InvalidParameterValueException',
      message: 'The derived qualifier from the function name does not match the specified qualifier.',
    };
  }
  const q = fromName ?? qualifierParam ?? undefined;
  if (q !== undefined) out.qualifier = q;
  return out;
}
