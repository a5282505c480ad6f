import { useCallback, useEffect, useRef, useState } from 'react';
import type { ArgsOf, EventName, MethodName, ResultOf } from '../../../shared/contract';
import { ApiError, call, onEvent } from './client';

export interface Query<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** Calls a contract method, refetches when args change or one of `refreshOn` events arrives. */
export function useQuery<M extends MethodName>(method: M, args: ArgsOf<M> | null, refreshOn: EventName[] = []): Query<ResultOf<M>> {
  const [data, setData] = useState<ResultOf<M>>();
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(args !== null);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(args);
  const latest = useRef(0);

  useEffect(() => {
    if (args === null) return;
    const ticket = ++latest.current;
    setLoading(true);
    call(method, args)
      .then((value) => {
        if (ticket !== latest.current) return;
        setData(value);
        setError(null);
      })
      .catch((e: unknown) => {
        if (ticket !== latest.current) return;
        setError(e instanceof ApiError ? e : new ApiError({ code: 'INTERNAL', message: String(e) }));
      })
      .finally(() => ticket === latest.current && setLoading(false));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [method, key, tick]);

  const events = refreshOn.join(',');
  useEffect(() => {
    if (!events) return;
    const names = new Set(events.split(','));
    return onEvent((name) => names.has(name) && setTick((t) => t + 1));
  }, [events]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** Runs a mutation and keeps its pending state and French error message. */
export function useAction<M extends MethodName>(method: M) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(
    async (args: ArgsOf<M>): Promise<ResultOf<M> | undefined> => {
      setPending(true);
      setError(null);
      try {
        return await call(method, args);
      } catch (e) {
        setError(e instanceof ApiError ? e : new ApiError({ code: 'INTERNAL', message: String(e) }));
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [method],
  );
  return { run, pending, error, clearError: () => setError(null) };
}

/** `value`, once it has stopped changing for `ms` (search boxes: one query per pause, not per key). */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}
