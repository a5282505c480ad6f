import type { ArgsOf, EventName, LgcApi, MethodName, ResultOf, RpcResponse } from '../../../shared/contract';
import type { AppErrorData } from '../../../shared/errors';

/** Error thrown by `call` with the code and French message chosen by the main process. */
export class ApiError extends Error {
  readonly code: AppErrorData['code'];
  readonly details?: unknown;
  constructor(data: AppErrorData) {
    super(data.message);
    this.code = data.code;
    this.details = data.details;
  }
}

type EventListener = (name: EventName) => void;
type Bridge = LgcApi & { onEvent(listener: EventListener): () => void };

declare global {
  interface Window {
    lgc?: Bridge;
  }
}

async function callOverHttp(method: string, args: unknown): Promise<RpcResponse<unknown>> {
  try {
    const response = await fetch(`/rpc/${encodeURIComponent(method)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify(args ?? {}),
    });
    if (response.status === 401) {
      return { ok: false, error: { code: 'UNAUTHENTICATED', message: "Accès refusé : rouvrez l'adresse affichée au démarrage." } };
    }
    return (await response.json()) as RpcResponse<unknown>;
  } catch {
    return { ok: false, error: { code: 'NETWORK', message: 'Le service local ne répond pas.' } };
  }
}

/**
 * Event stream of the browser host (Server-Sent Events), one per page whatever the number of
 * subscribers: browsers allow only six HTTP/1.1 connections per host, and a held-open stream
 * per screen would starve the calls. `open-url` asks us to open a login or logout page.
 */
const httpListeners = new Set<EventListener>();
let httpSource: EventSource | null = null;

function subscribeOverHttp(listener: EventListener): () => void {
  httpListeners.add(listener);
  if (!httpSource) {
    httpSource = new EventSource('/events', { withCredentials: true });
    httpSource.addEventListener('lgc', (e) => {
      const { name } = JSON.parse((e as MessageEvent).data) as { name: EventName };
      for (const l of [...httpListeners]) l(name);
    });
    httpSource.addEventListener('open-url', (e) => {
      const { url } = JSON.parse((e as MessageEvent).data) as { url: string };
      if (/^https?:\/\//.test(url)) window.open(url, '_blank', 'noopener');
    });
  }
  return () => {
    httpListeners.delete(listener);
  };
}

export async function call<M extends MethodName>(method: M, args: ArgsOf<M>): Promise<ResultOf<M>> {
  const bridge = window.lgc;
  const response = bridge
    ? await (bridge[method] as (a: ArgsOf<M>) => Promise<RpcResponse<ResultOf<M>>>)(args)
    : ((await callOverHttp(method, args)) as RpcResponse<ResultOf<M>>);
  if (!response.ok) throw new ApiError(response.error);
  return response.value;
}

export function onEvent(listener: EventListener): () => void {
  return window.lgc ? window.lgc.onEvent(listener) : subscribeOverHttp(listener);
}
