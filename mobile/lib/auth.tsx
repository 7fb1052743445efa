/** Auth state for the whole app: the (auth) and (app) route groups are guarded by it. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

import { ApiClient, type User } from './api';
import { loadApiUrl, saveApiUrl } from './config';
import type { Store } from './storage';

export type AuthStatus = 'loading' | 'signed-out' | 'signed-in';

export type AuthValue = {
  status: AuthStatus;
  user: User | null;
  /** Why the trader was signed out, shown on the sign-in screen. */
  notice: string | null;
  api: ApiClient;
  apiUrl: string;
  signIn(email: string, password: string): Promise<void>;
  register(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  setApiUrl(url: string): Promise<void>;
};

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ api, settingsStore, children }: { api: ApiClient; settingsStore?: Store; children: ReactNode }) {
  const [status, setStatus] = useState<AuthStatus>('loading');
  const [user, setUser] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [apiUrl, setApiUrlState] = useState(api.baseUrl);

  useEffect(() => {
    let alive = true;
    const unsubscribe = api.onSessionChange((session, reason) => {
      if (!alive) return;
      setUser(session?.user ?? null);
      setStatus(session == null ? 'signed-out' : 'signed-in');
      if (reason === 'expired') setNotice('Your session has expired. Please sign in again.');
    });
    (async () => {
      try {
        api.baseUrl = await loadApiUrl(settingsStore);
      } catch {
        // keep the default URL
      }
      const session = await api.restore().catch(() => null);
      if (!alive) return;
      setApiUrlState(api.baseUrl);
      setUser(session?.user ?? null);
      // Signed in even when offline: screens show cached-less offline states and the first
      // request that reaches the server refreshes (or ends) the session.
      setStatus(session == null ? 'signed-out' : 'signed-in');
    })();
    return () => {
      alive = false;
      unsubscribe();
    };
  }, [api, settingsStore]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      setNotice(null);
      await api.login(email, password);
    },
    [api],
  );

  const register = useCallback(
    async (email: string, password: string) => {
      setNotice(null);
      await api.register(email, password);
      await api.login(email, password);
    },
    [api],
  );

  const signOut = useCallback(async () => {
    setNotice(null);
    await api.logout();
  }, [api]);

  const setApiUrl = useCallback(
    async (url: string) => {
      const saved = await saveApiUrl(url, settingsStore);
      api.baseUrl = saved;
      setApiUrlState(api.baseUrl);
    },
    [api, settingsStore],
  );

  const value = useMemo<AuthValue>(
    () => ({ status, user, notice, api, apiUrl, signIn, register, signOut, setApiUrl }),
    [status, user, notice, api, apiUrl, signIn, register, signOut, setApiUrl],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (value == null) throw new Error('useAuth() outside <AuthProvider>');
  return value;
}

export function useApi(): ApiClient {
  return useAuth().api;
}
