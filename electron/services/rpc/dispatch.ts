import type { z } from 'zod';
import { contract, isMethodName, type MethodName, type ParsedArgsOf, type ResultOf, type RpcResponse } from '../../../shared/contract';
import { AppError, toErrorData } from '../../../shared/errors';
import type { Logger } from '../log/logger';

export type Handler<M extends MethodName> = (args: ParsedArgsOf<M>) => Promise<ResultOf<M>> | ResultOf<M>;
export type Handlers = { [M in MethodName]: Handler<M> };

export interface DispatcherOptions {
  handlers: Handlers;
  /** Throws UNAUTHENTICATED / SESSION_LOCKED when no active session; called for 'user' methods. */
  requireActiveSession: () => void;
  logger: Logger;
}

export type Dispatch = (method: unknown, args: unknown) => Promise<RpcResponse<unknown>>;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.join('.')} : ${issue.message}` : issue.message))
    .join(' ; ');
}

/**
 * The single entry point of every transport (IPC, loopback HTTP, CLI): method lookup, session
 * gate, argument validation, handler call, result validation, typed error envelope.
 */
export function createDispatcher({ handlers, requireActiveSession, logger }: DispatcherOptions): Dispatch {
  return async (method, args) => {
    try {
      if (!isMethodName(method)) {
        throw new AppError('UNKNOWN_METHOD', 'Opération inconnue.', { method: String(method).slice(0, 80) });
      }
      const spec = contract[method];
      if (spec.access === 'user') requireActiveSession();
      const parsed = spec.args.safeParse(args ?? {});
      if (!parsed.success) {
        throw new AppError('INVALID_ARGUMENTS', `Paramètres invalides : ${describeIssues(parsed.error)}`, {
          issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
        });
      }
      const handler = handlers[method] as (a: unknown) => unknown;
      const value = await handler(parsed.data);
      const checked = spec.result.safeParse(value);
      if (!checked.success) {
        logger.error('handler result violates the contract', { method, issues: describeIssues(checked.error) });
        throw new Error(`contract violation in ${method}`);
      }
      return { ok: true, value: checked.data };
    } catch (error) {
      if (!(error instanceof AppError)) logger.error('unexpected error', { method: String(method), error });
      else if (error.code === 'INTERNAL') logger.error('internal error', { method: String(method), error });
      return { ok: false, error: toErrorData(error) };
    }
  };
}
