/**
 * Typed errors shared by the main process and the renderer. Every error that can reach a user
 * carries a stable code (for tests and logic) and a French message (for the screen).
 */
export const ERROR_CODES = [
  'INVALID_ARGUMENTS',
  'UNKNOWN_METHOD',
  'FORBIDDEN_SENDER',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'SESSION_LOCKED',
  'NOT_FOUND',
  'CONFLICT',
  'VALIDATION',
  'IDENTITY_RULE',
  'REMOTE_SERVICE',
  'NETWORK',
  'TIMEOUT',
  'BAD_INPUT',
  'CONFIGURATION',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AppErrorData {
  code: ErrorCode;
  message: string;
  /** Optional machine-readable details (field paths, remote codes...). Never secrets. */
  details?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  toData(): AppErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Turns anything thrown into data fit to cross a process boundary, hiding internals. */
export function toErrorData(error: unknown): AppErrorData {
  if (error instanceof AppError) return error.toData();
  return { code: 'INTERNAL', message: 'Erreur interne inattendue. Le détail a été consigné dans le journal.' };
}
