import * as SecureStore from 'expo-secure-store';

import { createSecretStore, createSettingsStore, memoryStore } from '@/lib/storage';

describe('storage', () => {
  test('native: secrets go to expo-secure-store under a prefixed key', async () => {
    const store = createSecretStore('ios');
    await store.set('session', 'abc');
    expect(SecureStore.setItemAsync).toHaveBeenCalledWith('algotrade.session', 'abc');
    await expect(store.get('session')).resolves.toBe('abc');
    await store.remove('session');
    await expect(store.get('session')).resolves.toBeNull();
  });

  test('web: secrets live in sessionStorage (gone with the tab), settings in localStorage', async () => {
    const session = new Map<string, string>();
    const local = new Map<string, string>();
    const fake = (m: Map<string, string>) => ({
      getItem: (k: string) => m.get(k) ?? null,
      setItem: (k: string, v: string) => void m.set(k, v),
      removeItem: (k: string) => void m.delete(k),
    });
    Object.assign(globalThis, { sessionStorage: fake(session), localStorage: fake(local) });
    try {
      await createSecretStore('web').set('session', 'tokens');
      await createSettingsStore('web').set('api_url', 'http://x');
      expect(session.get('algotrade.session')).toBe('tokens');
      expect(local.get('algotrade.api_url')).toBe('http://x');
      expect(local.has('algotrade.session')).toBe(false);
    } finally {
      delete (globalThis as Record<string, unknown>).sessionStorage;
      delete (globalThis as Record<string, unknown>).localStorage;
    }
  });

  test('web without sessionStorage: memory only', async () => {
    const store = createSecretStore('web');
    await store.set('session', 'x');
    await expect(store.get('session')).resolves.toBe('x');
    await expect(memoryStore().get('session')).resolves.toBeNull();
  });
});
