import { describe, expect, it, vi } from 'vitest';
import { createIpcHandler, type SenderLike } from '../../electron/services/rpc/sender-guard';

const MAIN_WINDOW = 7;
const event = (url: string, opts: { id?: number; subFrame?: boolean } = {}): SenderLike => ({
  sender: { id: opts.id ?? MAIN_WINDOW },
  senderFrame: { url, parent: opts.subFrame ? {} : null },
});

describe('IPC sender check', () => {
  const dispatch = vi.fn(async () => ({ ok: true as const, value: 'done' }));
  const handler = createIpcHandler(dispatch, new Set([MAIN_WINDOW]));

  it('accepts the main frame of our window loaded from app://lgc', async () => {
    expect(await handler(event('app://lgc/index.html'), 'app.info', {})).toEqual({ ok: true, value: 'done' });
    expect(dispatch).toHaveBeenCalledWith('app.info', {});
  });

  it.each([
    ['a remote page', event('https://evil.example/index.html')],
    ['a file:// page', event('file:///tmp/x.html')],
    ['a look-alike custom origin', event('app://lgc.evil/index.html')],
    ['a sub-frame of our window', event('app://lgc/index.html', { subFrame: true })],
    ['another webContents', event('app://lgc/index.html', { id: 99 })],
  ])('refuses %s without dispatching', async (_label, e) => {
    dispatch.mockClear();
    const response = await handler(e, 'patients.today', {});
    expect(response.ok).toBe(false);
    if (!response.ok) {
      expect(response.error.code).toBe('FORBIDDEN_SENDER');
      expect(response.error.message).toMatch(/fenêtre de l'application/);
    }
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('refuses a destroyed frame', async () => {
    const response = await handler({ sender: { id: MAIN_WINDOW }, senderFrame: null }, 'app.info', {});
    expect(response.ok).toBe(false);
  });
});
