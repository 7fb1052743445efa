/**
 * The API base URL, in order of precedence:
 *   1. what the trader typed on the sign-in or account screen (kept in the settings store),
 *   2. EXPO_PUBLIC_API_URL at build/start time (`EXPO_PUBLIC_API_URL=http://192.168.1.20:8000 npx expo start`),
 *   3. on the web: the page's own origin (the web build is served with /api and /ws proxied,
 *      see scripts/serve-web.mjs, so no CORS is involved),
 *   4. in Expo Go: the dev machine that served the bundle, port 8000 (`make run`),
 *   5. http://127.0.0.1:8000.
 */
import Constants from 'expo-constants';
import { Platform } from 'react-native';

import { normaliseBaseUrl } from './api';
import { settings, type Store } from './storage';

const API_URL_KEY = 'api_url';

export function defaultApiUrl(): string {
  const fromEnv = process.env.EXPO_PUBLIC_API_URL;
  if (fromEnv) return normaliseBaseUrl(fromEnv);
  if (Platform.OS === 'web') {
    const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
    if (origin && /^https?:/.test(origin)) return origin;
  }
  const hostUri = Constants.expoConfig?.hostUri; // "192.168.1.20:8081" in Expo Go
  const host = hostUri?.split(':')[0];
  if (host) return `http://${host}:8000`;
  return 'http://127.0.0.1:8000';
}

export async function loadApiUrl(store: Store = settings): Promise<string> {
  const saved = await store.get(API_URL_KEY);
  return saved ? normaliseBaseUrl(saved) : defaultApiUrl();
}

export async function saveApiUrl(url: string, store: Store = settings): Promise<string> {
  const clean = normaliseBaseUrl(url);
  if (clean === '' || clean === defaultApiUrl()) await store.remove(API_URL_KEY);
  else await store.set(API_URL_KEY, clean);
  return clean === '' ? defaultApiUrl() : clean;
}
