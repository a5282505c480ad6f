import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Structured logger with secret redaction. Tokens, passwords and authorization headers must
 * never reach a log line (PSC rule: access tokens are never stored permanently).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const SECRET_KEY = /(token|secret|password|passwd|authorization|cookie|assertion|code_verifier|client_assertion)/i;
const JWT_LIKE = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
const BEARER = /(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(JWT_LIKE, '[redacted-jwt]').replace(BEARER, '$1 [redacted]');
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (value instanceof Error) return { name: value.name, message: redact(value.message, depth + 1) };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(scope: string): Logger;
}

export interface LoggerOptions {
  /** JSON-lines file; omitted = stderr only. */
  file?: string;
  level?: LogLevel;
  /** Also echo to stderr (default: only when no file). */
  stderr?: boolean;
}

/**
 * Logging never breaks what it reports on: a log folder removed under a running process (disk
 * cleanup, a test tearing down) is recreated once; any other failure falls back to stderr.
 */
function appendLine(file: string, line: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      appendFileSync(file, line + '\n');
      return true;
    } catch (error) {
      if (attempt > 0 || (error as NodeJS.ErrnoException).code !== 'ENOENT') return false;
      try {
        mkdirSync(dirname(file), { recursive: true });
      } catch {
        return false;
      }
    }
  }
  return false;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(options: LoggerOptions = {}, scope = 'app'): Logger {
  const min = ORDER[options.level ?? (process.env.LGC_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? 20;
  if (options.file) {
    try {
      mkdirSync(dirname(options.file), { recursive: true });
    } catch {
      // Reported by the first write, which then goes to stderr.
    }
  }
  const echo = options.stderr ?? !options.file;
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const line = JSON.stringify({ t: new Date().toISOString(), level, scope, msg: redact(msg), ...(fields ? (redact(fields) as object) : {}) });
    if (options.file && !appendLine(options.file, line)) process.stderr.write(line + '\n');
    else if (echo) process.stderr.write(line + '\n');
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (s) => createLogger(options, `${scope}.${s}`),
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = {
  debug() {}, info() {}, warn() {}, error() {}, child() { return silentLogger; },
};
