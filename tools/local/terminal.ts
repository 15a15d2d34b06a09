/**
 * Text from untrusted sources (span names, error messages, payloads, function output) made safe
 * to print on a terminal: C0 and C1 control characters, DEL and the Unicode bidirectional
 * overrides are shown escaped (`\x1b`, `\u202e`), so no escape sequence reaches the terminal
 * (window titles, OSC 52 clipboard writes, screen clears, hidden text).
 * @internal
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const SGR = /\u001b\[[0-9;]{0,32}m/g;

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Escapes every control character. `keepColors` leaves SGR colour sequences (`ESC [ … m`) of a
 * function's own log lines alone, and nothing else; `keepNewlines` keeps line breaks and tabs.
 */
export function terminalSafe(text: string, opts: { keepColors?: boolean; keepNewlines?: boolean } = {}): string {
  const esc = (s: string) =>
    s.replace(UNSAFE, (ch) => (opts.keepNewlines && (ch === '\n' || ch === '\t') ? ch : escapeChar(ch)));
  if (!opts.keepColors) return esc(text);
  let out = '';
  let last = 0;
  for (const m of text.matchAll(SGR)) {
    out += esc(text.slice(last, m.index)) + m[0];
    last = (m.index ?? 0) + m[0].length;
  }
  return out + esc(text.slice(last));
}

/** A copy of a JSON value with every string (keys too) made terminal-safe. */
export function terminalSafeDeep<T>(value: T): T {
  if (typeof value === 'string') return terminalSafe(value) as T;
  if (Array.isArray(value)) return value.map((v) => terminalSafeDeep(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, terminalSafe(k), {
        value: terminalSafeDeep(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out as T;
  }
  return value;
}
