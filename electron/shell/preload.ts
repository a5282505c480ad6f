import { contextBridge, ipcRenderer } from 'electron';
import { EVENT_NAMES, METHOD_NAMES, type EventName } from '../../shared/contract';
import { IPC_EVENT_CHANNEL, IPC_RPC_CHANNEL } from '../../shared/ipc-channels';

/**
 * Exposes exactly the contract on `window.lgc`: one function per method and `onEvent`.
 * No raw ipcRenderer, no Node, nothing else crosses the bridge.
 */
export function buildBridge(invoke: (method: string, args: unknown) => Promise<unknown>, subscribe: (listener: (name: EventName) => void) => () => void) {
  const api: Record<string, unknown> = {};
  for (const method of METHOD_NAMES) api[method] = (args: unknown) => invoke(method, args);
  api.onEvent = (listener: (name: EventName) => void) => subscribe(listener);
  return Object.freeze(api);
}

const bridge = buildBridge(
  (method, args) => ipcRenderer.invoke(IPC_RPC_CHANNEL, method, args),
  (listener) => {
    const handler = (_event: unknown, name: unknown) => {
      if (typeof name === 'string' && (EVENT_NAMES as readonly string[]).includes(name)) listener(name as EventName);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
  },
);

contextBridge.exposeInMainWorld('lgc', bridge);
