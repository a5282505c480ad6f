import { AppError, toErrorData } from '../../../shared/errors';
import type { RpcResponse } from '../../../shared/contract';
import type { Dispatch } from './dispatch';

/** The parts of Electron's IpcMainInvokeEvent we look at (kept structural so it is testable without Electron). */
export interface SenderLike {
  senderFrame: { url: string; parent: unknown | null } | null;
  sender: { id: number };
}

/** The app is only ever loaded from this origin (custom protocol registered by the shell). */
export const APP_ORIGIN = 'app://lgc';

export function isTrustedSender(event: SenderLike, trustedWebContentsIds: ReadonlySet<number>): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false; // sub-frames (documents, PDFs) never call the API
  if (!trustedWebContentsIds.has(event.sender.id)) return false;
  try {
    return new URL(frame.url).origin === APP_ORIGIN || frame.url.startsWith(`${APP_ORIGIN}/`);
  } catch {
    return false;
  }
}

/** Wraps the dispatcher for `ipcMain.handle`: sender check first, then the usual dispatch. */
export function createIpcHandler(dispatch: Dispatch, trustedWebContentsIds: ReadonlySet<number>) {
  return async (event: SenderLike, method: unknown, args: unknown): Promise<RpcResponse<unknown>> => {
    if (!isTrustedSender(event, trustedWebContentsIds)) {
      return { ok: false, error: toErrorData(new AppError('FORBIDDEN_SENDER', "Appel refusé : il ne provient pas de la fenêtre de l'application.")) };
    }
    return dispatch(method, args);
  };
}
