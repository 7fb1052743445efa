import { ApiClient, ApiError, AuthExpiredError, NetworkError, jwtExpiry, normaliseBaseUrl } from '@/lib/api';
import { memoryStore } from '@/lib/storage';

import { FakeBackend, FakeSocket, fakeJwt } from './fake-backend';

describe('ApiClient', () => {
  test('login stores the session and sends the access token on later calls', async () => {
    const backend = new FakeBackend();
    const store = memoryStore();
    const api = backend.client(store);
    const user = await api.login(' trader@example.test ', 'Sturdy-Passw0rd-42');

    expect(user.email).toBe('trader@example.test');
    expect(JSON.parse((await store.get('session'))!).refresh).toBe(api.session!.refresh);
    await expect(api.me()).resolves.toMatchObject({ email: 'trader@example.test' });
  });

  test('a restored session survives an app restart', async () => {
    const backend = new FakeBackend();
    const store = memoryStore();
    await backend.client(store).login('trader@example.test', 'Sturdy-Passw0rd-42');

    const again = backend.client(store);
    await expect(again.restore()).resolves.toMatchObject({ user: { email: 'trader@example.test' } });
    await expect(again.strategies()).resolves.toEqual([]);
  });

  test('error bodies become ApiError with code, message and field errors', async () => {
    const backend = new FakeBackend();
    const api = backend.client();
    await expect(api.register('trader@example.test', 'short')).rejects.toMatchObject({
      name: 'ApiError',
      status: 400,
      code: 'invalid',
      fields: {
        email: ['A user with this email already exists.'],
        password: ['This password is too short. It must contain at least 10 characters.'],
      },
    });
  });

  test('wrong credentials give the server message', async () => {
    const api = new FakeBackend().client();
    const err = await api.login('trader@example.test', 'nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe('Invalid email or password.');
    expect(api.session).toBeNull();
  });

  test('an unreachable server is a NetworkError, not an ApiError', async () => {
    const backend = new FakeBackend();
    backend.offline = true;
    await expect(backend.client().login('a@b.c', 'x')).rejects.toBeInstanceOf(NetworkError);
  });

  test('an expired access token is refreshed before the request, and the rotated pair is saved', async () => {
    const backend = new FakeBackend();
    backend.accessLifetime = 5; // inside the refresh margin: stale at once
    const store = memoryStore();
    const api = backend.client(store);
    await backend.signIn(api);
    const firstRefresh = api.session!.refresh;

    await api.strategies();

    expect(backend.calls.filter((c) => c.path === '/auth/refresh')).toHaveLength(1);
    expect(api.session!.refresh).not.toBe(firstRefresh);
    expect(backend.refreshTokens.has(firstRefresh)).toBe(false); // rotated: the old one is dead
    expect(JSON.parse((await store.get('session'))!).refresh).toBe(api.session!.refresh);
  });

  test('parallel requests with a stale token share ONE refresh (rotation would kill a second)', async () => {
    const backend = new FakeBackend();
    backend.accessLifetime = 5;
    const api = backend.client();
    await backend.signIn(api);
    backend.accessLifetime = 300;

    const results = await Promise.all([api.strategies(), api.brokerAccounts(), api.notifications(), api.dashboard()]);

    expect(results).toHaveLength(4);
    expect(backend.calls.filter((c) => c.path === '/auth/refresh')).toHaveLength(1);
    expect(api.session).not.toBeNull();
  });

  test('a 401 on a token that looked fresh refreshes once and retries', async () => {
    const backend = new FakeBackend();
    const api = backend.client();
    await backend.signIn(api);
    backend.accessTokens.clear(); // e.g. the server restarted with a new signing key

    await expect(api.strategies()).resolves.toEqual([]);
    expect(backend.calls.map((c) => c.path)).toEqual(['/auth/login', '/strategy/list', '/auth/refresh', '/strategy/list']);
  });

  test('a dead refresh token ends the session and tells the listeners why', async () => {
    const backend = new FakeBackend();
    const store = memoryStore();
    const api = backend.client(store);
    await backend.signIn(api);
    backend.accessTokens.clear();
    backend.refreshTokens.clear();
    const reasons: (string | undefined)[] = [];
    api.onSessionChange((session, reason) => reasons.push(session == null ? reason : 'session'));

    await expect(api.strategies()).rejects.toBeInstanceOf(AuthExpiredError);
    expect(api.session).toBeNull();
    expect(await store.get('session')).toBeNull();
    expect(reasons).toEqual(['expired']);
  });

  test('offline during a refresh keeps the session (it may still be good later)', async () => {
    const backend = new FakeBackend();
    backend.accessLifetime = 5;
    const api = backend.client();
    await backend.signIn(api);
    backend.offline = true;

    await expect(api.strategies()).rejects.toBeInstanceOf(NetworkError);
    expect(api.session).not.toBeNull();
  });

  test('logout revokes the refresh token on the server and forgets it locally', async () => {
    const backend = new FakeBackend();
    const store = memoryStore();
    const api = backend.client(store);
    await backend.signIn(api);
    const refresh = api.session!.refresh;

    await api.logout();

    expect(backend.refreshTokens.has(refresh)).toBe(false);
    expect(api.session).toBeNull();
    expect(await store.get('session')).toBeNull();
  });

  test('the live socket URL follows the base URL scheme and carries a fresh access token', async () => {
    const backend = new FakeBackend();
    const api = backend.client();
    await backend.signIn(api);
    api.baseUrl = 'https://trade.example.in/';

    const socket = (await api.openLiveSocket()) as unknown as FakeSocket;

    expect(socket.url).toBe(`wss://trade.example.in/ws/updates?token=${encodeURIComponent(api.session!.access)}`);
  });

  test('server errors without a body still read well', async () => {
    const api = new ApiClient({
      baseUrl: 'http://x',
      store: memoryStore(),
      fetch: async () => ({ status: 502, ok: false, text: async () => '<html>bad gateway</html>' }) as unknown as Response,
    });
    await expect(api.register('a@b.c', 'x')).rejects.toMatchObject({ status: 502, message: 'The server had a problem. Try again in a moment.' });
  });

  test('base URLs are normalised', () => {
    expect(normaliseBaseUrl('192.168.1.20:8000/')).toBe('http://192.168.1.20:8000');
    expect(normaliseBaseUrl('https://trade.example.in/api/')).toBe('https://trade.example.in');
  });

  test('jwtExpiry reads exp from the payload', () => {
    expect(jwtExpiry(fakeJwt('x', 1234567890))).toBe(1234567890);
    expect(jwtExpiry('not-a-jwt')).toBeNull();
  });
});
