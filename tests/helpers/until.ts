const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it holds; fails with « délai dépassé : what » after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 10_000, what = 'condition', everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`délai dépassé : ${what}`);
    await pause(everyMs);
  }
}

/** Polls an asynchronous `probe` until it returns a value (not undefined), and returns it. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`délai dépassé : ${what}`);
    await pause(everyMs);
  }
}
