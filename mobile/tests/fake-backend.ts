/**
 * An in-memory stand-in for the Django API (same paths, shapes and error bodies), plus a
 * fake WebSocket, for screen tests. The API client itself is also tested against the real
 * backend (tests/api.integration.test.ts, run by tests/test_e2e_mobile.py).
 */
import { ApiClient, type BrokerAccount, type Notification, type Order, type Strategy, type StrategyStatus } from '@/lib/api';
import { memoryStore } from '@/lib/storage';

type Json = Record<string, unknown> | unknown[] | null;

export function fakeJwt(sub: string, expSeconds: number): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, exp: expSeconds, jti: Math.random().toString(36).slice(2) })}.sig`;
}

function response(status: number, body: Json) {
  const text = body === null ? '' : JSON.stringify(body);
  return { status, ok: status >= 200 && status < 300, text: async () => text } as unknown as Response;
}

function error(status: number, code: string, message: string, fields: Record<string, string[]> = {}) {
  return response(status, { error: { code, message, fields } });
}

export class FakeSocket {
  static instances: FakeSocket[] = [];
  static get last(): FakeSocket | undefined {
    return FakeSocket.instances[FakeSocket.instances.length - 1];
  }
  readonly url: string;
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(url: string) {
    this.url = url;
    FakeSocket.instances.push(this);
    setTimeout(() => this.open(), 0);
  }
  open() {
    if (this.readyState !== 0) return;
    this.readyState = 1;
    this.onopen?.();
  }
  send() {}
  close(code = 1000) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code });
  }
  /** The server pushes an event. */
  emit(event: object) {
    this.onmessage?.({ data: JSON.stringify(event) });
  }
}

export class FakeBackend {
  users = new Map<string, { id: number; email: string; password: string; role: string }>();
  refreshTokens = new Map<string, string>(); // refresh -> email
  accessTokens = new Map<string, string>(); // access -> email
  accounts: BrokerAccount[] = [];
  strategies: Strategy[] = [];
  statuses = new Map<number, StrategyStatus>();
  orders = new Map<number, Order[]>();
  notifications: Notification[] = [];
  offline = false;
  accessLifetime = 300;
  calls: { method: string; path: string; body: unknown }[] = [];
  private nextId = 1;

  constructor() {
    this.users.set('trader@example.test', { id: 1, email: 'trader@example.test', password: 'Sturdy-Passw0rd-42', role: 'user' });
  }

  issue(email: string) {
    const access = fakeJwt(email, Math.floor(Date.now() / 1000) + this.accessLifetime);
    const refresh = fakeJwt(email, Math.floor(Date.now() / 1000) + 86400);
    this.accessTokens.set(access, email);
    this.refreshTokens.set(refresh, email);
    return { access, refresh };
  }

  /** An ApiClient wired to this backend (and FakeSocket), with an in-memory token store. */
  client(store = memoryStore()): ApiClient {
    return new ApiClient({ baseUrl: 'http://api.test', store, fetch: (url, init) => this.fetch(url, init), WebSocket: FakeSocket as unknown as typeof WebSocket });
  }

  /** Signs the trader in on `client` directly (for screens behind the auth guard). */
  async signIn(client: ApiClient) {
    await client.login('trader@example.test', 'Sturdy-Passw0rd-42');
  }

  addAccount(partial: Partial<BrokerAccount> = {}): BrokerAccount {
    const account: BrokerAccount = {
      id: this.nextId++,
      broker: 'paper',
      label: 'Paper broker',
      status: 'ACTIVE',
      status_reason: '',
      token_valid_until: null,
      created_at: '2026-11-25T09:00:00+05:30',
      ...partial,
    };
    this.accounts.push(account);
    return account;
  }

  addStrategy(partial: Partial<Strategy> = {}): Strategy {
    const id = this.nextId++;
    const s: Strategy = {
      id,
      user: 1,
      name: 'TCS morning',
      symbol: 'TCS',
      exchange: 'NSE',
      quantity: 5,
      buy_time: '09:20:00',
      sell_time: '15:10:00',
      stop_loss: '3400.00',
      product: 'MIS',
      days: [0, 1, 2, 3, 4],
      broker_account: this.accounts[0]?.id ?? 1,
      status: 'STOPPED',
      status_reason: '',
      created_at: '2026-11-25T09:00:00+05:30',
      updated_at: '2026-11-25T09:00:00+05:30',
      ...partial,
    };
    this.strategies.push(s);
    this.statuses.set(id, {
      id,
      status: s.status,
      status_reason: '',
      trading_day: '2026-11-25',
      position: 'FLAT',
      last_action: null,
      last_order: null,
      last_price: null,
      next_trigger: null,
    });
    this.orders.set(id, []);
    return s;
  }

  fetch = async (url: string, init: RequestInit = {}): Promise<Response> => {
    if (this.offline) throw new TypeError('Network request failed');
    const { pathname, searchParams } = new URL(url);
    const path = pathname.replace(/^\/api/, '');
    const method = (init.method ?? 'GET').toUpperCase();
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    this.calls.push({ method, path, body });
    const auth = (init.headers as Record<string, string> | undefined)?.Authorization?.replace('Bearer ', '');
    const route = `${method} ${path}`;

    if (route === 'POST /auth/login') {
      const user = this.users.get(body.email);
      if (user == null || user.password !== body.password) return error(401, 'authentication_failed', 'Invalid email or password.');
      return response(200, { ...this.issue(user.email), user: { id: user.id, email: user.email, role: user.role } });
    }
    if (route === 'POST /auth/register') {
      const fields: Record<string, string[]> = {};
      if (this.users.has(body.email)) fields.email = ['A user with this email already exists.'];
      if (String(body.password).length < 10) fields.password = ['This password is too short. It must contain at least 10 characters.'];
      if (Object.keys(fields).length) return error(400, 'invalid', `Invalid input: ${Object.keys(fields).join(', ')}.`, fields);
      const user = { id: this.nextId++, email: body.email, password: body.password, role: 'user' };
      this.users.set(user.email, user);
      return response(201, { id: user.id, email: user.email, role: user.role });
    }
    if (route === 'POST /auth/refresh') {
      const email = this.refreshTokens.get(body.refresh);
      if (email == null) return error(401, 'token_not_valid', 'Token is blacklisted');
      this.refreshTokens.delete(body.refresh); // rotation: the old one dies
      return response(200, this.issue(email));
    }
    if (route === 'POST /auth/logout') {
      this.refreshTokens.delete(body.refresh);
      return response(204, null);
    }

    const email = auth == null ? undefined : this.accessTokens.get(auth);
    if (email == null) return error(401, 'not_authenticated', 'Authentication credentials were not provided.');

    let m: RegExpExecArray | null;
    if (route === 'GET /me') return response(200, { id: 1, email, role: 'user', broker: '', date_joined: '2026-01-01T00:00:00Z' });
    if (route === 'GET /broker/brokers') {
      return response(200, [
        { name: 'paper', display_name: 'Paper broker', available: true, credential_fields: [] },
        {
          name: 'zerodha',
          display_name: 'Zerodha (Kite Connect)',
          available: true,
          credential_fields: [
            { name: 'api_key', label: 'API key', required: true, secret: false },
            { name: 'access_token', label: 'Access token', required: true, secret: true },
          ],
        },
        { name: 'dhan', display_name: 'Dhan', available: false, credential_fields: [] },
      ]);
    }
    if (route === 'GET /broker/accounts') return response(200, this.accounts);
    if (route === 'POST /broker/connect') {
      if (body.broker === 'zerodha' && body.credentials?.api_key === 'bad') {
        return error(400, 'broker_credentials_rejected', 'Zerodha (Kite Connect) did not accept these credentials: invalid api_key', {
          credentials: ['invalid api_key'],
        });
      }
      return response(201, this.addAccount({ broker: body.broker, label: body.label ?? (body.broker === 'paper' ? 'Paper broker' : body.broker) }));
    }
    if ((m = /^POST \/broker\/accounts\/(\d+)\/login\/start$/.exec(route))) {
      const account = this.accounts.find((a) => a.id === Number(m![1]));
      if (account == null) return error(404, 'not_found', 'Not found.');
      if (account.login_method === 'redirect') {
        return response(200, { broker_account: account, method: 'redirect', login_url: 'https://kite.zerodha.com/connect/login?v=3&api_key=k', message: 'Open login_url and log in to Zerodha (Kite Connect).' });
      }
      return response(200, { broker_account: account, method: account.login_method ?? 'none', login_url: null, message: 'Nothing to log in to. Account re-validated.' });
    }
    if (route === 'POST /broker/login/callback') {
      if (body.state !== 'signed-state') return error(400, 'invalid', 'Invalid input: state.', { state: ['This login link is not valid.'] });
      const account = this.accounts.find((a) => a.login_method === 'redirect')!;
      Object.assign(account, { status: 'ACTIVE', status_reason: '', token_valid: true, token_valid_until: '2099-01-01T06:00:00+05:30' });
      return response(200, account);
    }
    if ((m = /^POST \/broker\/accounts\/(\d+)\/credentials$/.exec(route))) {
      const account = this.accounts.find((a) => a.id === Number(m![1]));
      if (account == null) return error(404, 'not_found', 'Not found.');
      Object.assign(account, { status: 'ACTIVE', token_valid: true });
      return response(200, account);
    }
    if (route === 'GET /strategy/list') return response(200, this.strategies);
    if (route === 'POST /strategy/create') {
      const fields: Record<string, string[]> = {};
      if (body.symbol !== 'TCS' && body.symbol !== 'INFY') fields.symbol = [`Unknown symbol '${body.symbol}' on ${body.exchange}.`];
      if (Object.keys(fields).length) return error(400, 'invalid', `Invalid strategy: ${Object.keys(fields).join(', ')}.`, fields);
      return response(201, this.addStrategy({ ...body, user: 1, status: 'STOPPED' }));
    }
    if (route === 'POST /strategy/start' || route === 'POST /strategy/stop') {
      const s = this.strategies.find((x) => x.id === body.id);
      if (s == null) return error(404, 'not_found', 'Not found.');
      s.status = route.endsWith('start') ? 'RUNNING' : 'STOPPED';
      this.statuses.get(s.id)!.status = s.status;
      return response(200, { id: s.id, status: s.status, status_reason: '' });
    }
    if ((m = /^GET \/strategy\/status\/(\d+)$/.exec(route))) {
      const st = this.statuses.get(Number(m[1]));
      return st == null ? error(404, 'not_found', 'Not found.') : response(200, st);
    }
    if ((m = /^GET \/strategy\/(\d+)\/orders$/.exec(route))) return response(200, this.orders.get(Number(m[1])) ?? []);
    if ((m = /^GET \/strategy\/(\d+)$/.exec(route))) {
      const s = this.strategies.find((x) => x.id === Number(m![1]));
      return s == null ? error(404, 'not_found', 'Not found.') : response(200, s);
    }
    if (route === 'GET /dashboard') {
      return response(200, {
        trading_day: '2026-11-25',
        positions: [
          {
            strategy: 7,
            name: 'TCS morning',
            symbol: 'TCS',
            position: 'LONG',
            quantity: 10,
            entry_price: '3500.00',
            exit_price: null,
            exit_reason: null,
            last_price: '3510.00',
            realised_pnl: null,
            unrealised_pnl: '100.00',
          },
        ],
        unrealised_total: '100.00',
        realised: { start: '2026-11-25', end: '2026-11-25', total: '-250.50', by_strategy: [], by_day: [] },
        history: { count: 0, page: 1, page_size: 20, results: [] },
      });
    }
    if (route === 'GET /notifications') {
      void searchParams;
      return response(200, {
        count: this.notifications.length,
        unread: this.notifications.filter((n) => n.read_at == null).length,
        page: 1,
        page_size: 20,
        results: this.notifications,
      });
    }
    if ((m = /^POST \/notifications\/(\d+)\/read$/.exec(route))) {
      const n = this.notifications.find((x) => x.id === Number(m![1]));
      if (n == null) return error(404, 'not_found', 'Not found.');
      n.read_at = '2026-11-25T10:00:00+05:30';
      return response(200, n);
    }
    if (route === 'POST /notifications/read-all') {
      let marked = 0;
      for (const n of this.notifications) if (n.read_at == null) (n.read_at = '2026-11-25T10:00:00+05:30'), marked++;
      return response(200, { marked });
    }
    return error(404, 'not_found', `No fake for ${route}`);
  };
}
