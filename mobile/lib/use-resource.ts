/**
 * Load data for a screen: first load, pull-to-refresh, reload on focus, and errors that keep
 * the last good data on screen (an offline trader still sees what was loaded before).
 */
import { useCallback, useEffect, useRef, useState } from 'react';

export type Resource<T> = {
  data: T | undefined;
  error: unknown;
  loading: boolean; // first load, nothing to show yet
  refreshing: boolean; // pull to refresh in progress
  reload(): Promise<void>; // quiet reload (focus, live event)
  refresh(): Promise<void>; // pull to refresh (shows the spinner)
  setData(update: (current: T | undefined) => T | undefined): void;
};

export function useResource<T>(load: () => Promise<T>, deps: unknown[] = []): Resource<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [refreshing, setRefreshing] = useState(false);
  const mounted = useRef(true);
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const value = await loadRef.current();
      if (mounted.current && mine === seq.current) {
        setDataState(value);
        setError(null);
      }
    } catch (err) {
      if (mounted.current && mine === seq.current) setError(err);
    } finally {
      if (mounted.current && mine === seq.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    mounted.current = true;
    setLoading(true);
    void run();
    return () => {
      mounted.current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  const refresh = useCallback(async () => {
    setRefreshing(true);
    try {
      await run();
    } finally {
      if (mounted.current) setRefreshing(false);
    }
  }, [run]);

  const setData = useCallback((update: (current: T | undefined) => T | undefined) => setDataState(update), []);

  return { data, error, loading, refreshing, reload: run, refresh, setData };
}
