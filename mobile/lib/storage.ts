/**
 * Where the app keeps its session (tokens) and settings (API base URL).
 *
 * Native (iOS/Android, Expo Go): expo-secure-store, i.e. the Keychain / Keystore, so the
 * refresh token is encrypted at rest and never lands in plain app storage.
 *
 * Web (`expo export --platform web`): expo-secure-store has no web implementation, and
 * localStorage would keep a long-lived refresh token readable by any script of the origin
 * across browser restarts. So the web build keeps secrets in sessionStorage (gone when the
 * tab closes; survives a reload so a refresh does not sign the trader out) and falls back
 * to memory where sessionStorage is unavailable (private modes, tests). Non-secret settings
 * (the server URL) go to localStorage on web.
 */
import { Platform } from 'react-native';

export type Store = {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  remove(key: string): Promise<void>;
};

// SecureStore keys may contain only alphanumerics, '.', '-' and '_'.
const KEY_PREFIX = 'algotrade.';

export function memoryStore(): Store {
  const data = new Map<string, string>();
  return {
    get: async (key) => data.get(key) ?? null,
    set: async (key, value) => {
      data.set(key, value);
    },
    remove: async (key) => {
      data.delete(key);
    },
  };
}

function webStorage(kind: 'sessionStorage' | 'localStorage'): Store | null {
  try {
    const storage = (globalThis as unknown as Record<string, Storage | undefined>)[kind];
    if (storage == null) return null;
    const probe = `${KEY_PREFIX}probe`;
    storage.setItem(probe, '1');
    storage.removeItem(probe);
    return {
      get: async (key) => storage.getItem(KEY_PREFIX + key),
      set: async (key, value) => storage.setItem(KEY_PREFIX + key, value),
      remove: async (key) => storage.removeItem(KEY_PREFIX + key),
    };
  } catch {
    return null; // storage disabled (e.g. Safari private mode quota 0)
  }
}

function secureStore(): Store {
  // Required lazily: the web bundle never loads the native module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const SecureStore = require('expo-secure-store') as typeof import('expo-secure-store');
  return {
    get: (key) => SecureStore.getItemAsync(KEY_PREFIX + key),
    set: (key, value) => SecureStore.setItemAsync(KEY_PREFIX + key, value),
    remove: (key) => SecureStore.deleteItemAsync(KEY_PREFIX + key),
  };
}

/** Secrets: tokens. */
export function createSecretStore(os: string = Platform.OS): Store {
  if (os === 'web') return webStorage('sessionStorage') ?? memoryStore();
  return secureStore();
}

/** Non-secret preferences: the API base URL. */
export function createSettingsStore(os: string = Platform.OS): Store {
  if (os === 'web') return webStorage('localStorage') ?? memoryStore();
  return secureStore();
}

export const secrets: Store = createSecretStore();
export const settings: Store = createSettingsStore();
