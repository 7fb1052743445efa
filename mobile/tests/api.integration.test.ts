/**
 * @jest-environment node
 *
 * The API client against the REAL backend. Runs when MOBILE_API_URL is set:
 * tests/test_e2e_mobile.py starts uvicorn (tests/stack.py) and runs this file; plain `jest`
 * skips it. What is checked here is what the fakes in the screen tests assume.
 */
import http from 'node:http';

import WebSocket from 'ws';

import { ApiClient, ApiError, type LiveEvent } from '@/lib/api';
import type { Store } from '@/lib/storage';
import { EMPTY_FORM, toStrategyInput, validateStrategy, type StrategyForm } from '@/lib/strategy-form';

const BASE = process.env.MOBILE_API_URL;
const PASSWORD = 'Sturdy-Passw0rd-42';
const suite = BASE ? describe : describe.skip;

function store(): Store & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, get: async (k) => data.get(k) ?? null, set: async (k, v) => void data.set(k, v), remove: async (k) => void data.delete(k) };
}

/**
 * Plain HTTP for the client: under jest, Expo's runtime replaces the global fetch with a stub
 * for its native module, so the real requests go through node:http (same fetch subset the
 * client uses: status, ok, text()).
 */
function nodeFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const body = init.body == null ? null : String(init.body);
    const headers = { ...(init.headers as Record<string, string>), ...(body == null ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }) };
    const req = http.request(url, { method: init.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status, ok: status >= 200 && status < 300, text: async () => text } as unknown as Response);
      });
    });
    req.on('error', (e) => reject(new TypeError(String(e))));
    if (body != null) req.write(body);
    req.end();
  });
}

function client(options: { now?: () => number } = {}) {
  return new ApiClient({
    baseUrl: BASE!,
    store: store(),
    fetch: nodeFetch,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    ...options,
  });
}

async function rawRefresh(refresh: string): Promise<number> {
  const r = await nodeFetch(`${BASE}/api/auth/refresh`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh }) });
  return r.status;
}

let seq = 0;
async function newTrader(api: ApiClient): Promise<string> {
  const email = `mobile-${Date.now()}-${++seq}@example.test`;
  await api.register(email, PASSWORD);
  await api.login(email, PASSWORD);
  return email;
}

suite('ApiClient against the real backend', () => {
  test('register, login, me', async () => {
    const api = client();
    const email = await newTrader(api);
    await expect(api.me()).resolves.toMatchObject({ email, role: 'user' });
  });

  test('bad credentials and duplicate registration come back as ApiError with fields', async () => {
    const api = client();
    const email = await newTrader(api);
    const dup = await api.register(email, PASSWORD).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ApiError);
    expect(Object.keys((dup as ApiError).fields)).toContain('email');
    const bad = await client().login(email, 'wrong-password').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApiError);
    expect((bad as ApiError).status).toBeGreaterThanOrEqual(400);
  });

  test("the creator's checks give the same field errors as the API", async () => {
    const api = client();
    await newTrader(api);
    const account = await api.connectBroker({ broker: 'paper', credentials: {} });
    const valid: StrategyForm = {
      ...EMPTY_FORM,
      name: 'Mirror',
      symbol: 'TCS',
      quantity: '5',
      buy_time: '09:20:00',
      sell_time: '15:10:00',
      stop_loss: '3400.00',
      broker_account: account.id,
    };
    const cases: Partial<StrategyForm>[] = [
      { quantity: '0' },
      { quantity: '100001' },
      { sell_time: '09:00:00' },
      { stop_loss: '0' },
      { stop_loss: '3400.123' },
      { days: [] },
    ];
    for (const change of cases) {
      const form = { ...valid, ...change };
      const local = validateStrategy(form);
      expect(Object.keys(local)).toHaveLength(1);
      const body = { ...toStrategyInput(form), stop_loss: form.stop_loss }; // send the raw decimal
      const err = (await api.createStrategy(body).catch((e: unknown) => e)) as ApiError;
      expect(err).toBeInstanceOf(ApiError);
      expect({ change, fields: err.fields }).toEqual({ change, fields: local });
    }
    // Required fields: DRF's own message, the same on both sides.
    const err = (await api.request('POST', '/strategy/create', {}).catch((e: unknown) => e)) as ApiError;
    const local = validateStrategy({ ...EMPTY_FORM, broker_account: null });
    for (const field of ['name', 'symbol', 'quantity', 'buy_time', 'sell_time', 'stop_loss', 'broker_account']) {
      expect([field, err.fields[field]]).toEqual([field, local[field]]);
    }
  });

  test('refresh tokens rotate: parallel stale requests share one refresh, and the old token dies', async () => {
    // A clock 10 minutes ahead makes every access token look expired.
    const api = client({ now: () => Date.now() + 10 * 60 * 1000 });
    await newTrader(api);
    const before = api.session!.refresh;

    const results = await Promise.all([api.strategies(), api.brokerAccounts(), api.notifications(), api.dashboard()]);

    expect(results[0]).toEqual([]);
    expect(api.session!.refresh).not.toBe(before);
    expect(await rawRefresh(before)).toBe(401); // blacklisted by the rotation
  });

  test('a rejected access token is refreshed and the request retried', async () => {
    const api = client();
    await newTrader(api);
    (api.session as { access: string }).access = 'not.a.token';
    await expect(api.strategies()).resolves.toEqual([]);
  });

  test('logout revokes the refresh token', async () => {
    const api = client();
    await newTrader(api);
    const refresh = api.session!.refresh;
    await api.logout();
    expect(api.session).toBeNull();
    expect(await rawRefresh(refresh)).toBe(401);
  });

  test('the live socket says hello with the access token from the client', async () => {
    const api = client();
    await newTrader(api);
    const me = await api.me();
    const socket = (await api.openLiveSocket()) as unknown as WebSocket;
    const first = await new Promise<LiveEvent>((resolve, reject) => {
      socket.on('message', (data) => resolve(JSON.parse(String(data)) as LiveEvent));
      socket.on('error', reject);
      setTimeout(() => reject(new Error('no event within 10 s')), 10000);
    });
    socket.close();
    expect(first).toEqual({ type: 'hello', user: me.id });
  });
});
