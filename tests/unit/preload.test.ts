import { describe, expect, it, vi } from 'vitest';
import { EVENT_NAMES, METHOD_NAMES } from '../../shared/contract';
import { IPC_EVENT_CHANNEL, IPC_RPC_CHANNEL } from '../../shared/ipc-channels';

const exposed: Record<string, unknown> = {};
const invoke = vi.fn(async () => ({ ok: true, value: null }));
const listeners = new Map<string, (...a: unknown[]) => void>();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
  ipcRenderer: {
    invoke,
    on: (channel: string, fn: (...a: unknown[]) => void) => listeners.set(channel, fn),
    removeListener: (channel: string) => listeners.delete(channel),
  },
}));

describe('preload bridge', () => {
  it('exposes exactly the contract on window.lgc and nothing else', async () => {
    await import('../../electron/shell/preload');
    expect(Object.keys(exposed)).toEqual(['lgc']);
    const api = exposed.lgc as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...METHOD_NAMES, 'onEvent'].sort());
    expect(Object.isFrozen(api)).toBe(true);
    for (const key of Object.keys(api)) expect(typeof api[key]).toBe('function');
    expect(api).not.toHaveProperty('ipcRenderer');
    expect(api).not.toHaveProperty('invoke');
  });

  it('routes every method through the single RPC channel', async () => {
    const api = exposed.lgc as Record<string, (a: unknown) => Promise<unknown>>;
    await api['patients.search']!({ query: 'a' });
    expect(invoke).toHaveBeenCalledWith(IPC_RPC_CHANNEL, 'patients.search', { query: 'a' });
  });

  it('forwards only known events', async () => {
    const api = exposed.lgc as { onEvent: (l: (n: string) => void) => () => void };
    const seen: string[] = [];
    const off = api.onEvent((n) => seen.push(n));
    const fire = listeners.get(IPC_EVENT_CHANNEL)!;
    fire({}, EVENT_NAMES[0]);
    fire({}, 'shell.exec');
    expect(seen).toEqual([EVENT_NAMES[0]]);
    off();
    expect(listeners.has(IPC_EVENT_CHANNEL)).toBe(false);
  });
});
