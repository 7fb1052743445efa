/**
 * The only module that talks to the backend: HTTP (JSON) and the live-updates WebSocket.
 *
 * Auth: POST /api/auth/login gives an access token (minutes) and a refresh token (days).
 * Refresh tokens ROTATE: each POST /api/auth/refresh returns a new pair and the old refresh
 * token is blacklisted at once. So refreshing is single-flight: concurrent requests that
 * find the access token expired (or get a 401) wait for ONE refresh and retry with its
 * result; two parallel refreshes would make the second fail and sign the trader out.
 * The session is persisted (lib/storage.ts) after every rotation, before it is used.
 *
 * Errors: the API answers every 4xx as {"error": {"code", "message", "fields"}}; that
 * becomes an ApiError. A request that never reached the server (offline, DNS, refused,
 * timeout) is a NetworkError, so screens can say "offline" rather than "failed".
 */
import type { Store } from './storage';

// --- shapes (from the OpenAPI schema, /api/schema/) --------------------------------------

export type User = { id: number; email: string; role: string };
export type Session = { access: string; refresh: string; user: User };
export type Me = User & { broker: string; date_joined: string };

export type CredentialField = { name: string; label: string; required: boolean; secret: boolean };
export type BrokerInfo = {
  name: string;
  display_name: string;
  available: boolean;
  credential_fields: CredentialField[];
};
export type BrokerAccount = {
  id: number;
  broker: string;
  label: string;
  status: string; // ACTIVE | NEEDS_LOGIN | ...
  status_reason: string;
  token_valid_until: string | null;
  /** Active and the broker session not past its end (servers with the broker-login API). */
  token_valid?: boolean;
  /** How today's login works: redirect (broker login page), totp (automatic), token (paste a new one), none. */
  login_method?: string;
  created_at: string;
};
export type BrokerLoginStart = {
  broker_account: BrokerAccount;
  method: string;
  login_url: string | null;
  message: string;
};

export type Exchange = 'NSE' | 'BSE';
export type Product = 'MIS' | 'CNC';
export type StrategyInput = {
  name: string;
  symbol: string;
  exchange: Exchange;
  quantity: number;
  buy_time: string; // HH:MM:SS, Asia/Kolkata
  sell_time: string;
  stop_loss: string; // decimal string, e.g. "3400.00"
  product: Product;
  broker_account: number;
  days?: number[]; // 0 = Monday
};
export type Strategy = Omit<StrategyInput, 'days'> & {
  id: number;
  user: number;
  days: number[];
  status: string; // RUNNING | STOPPED | ERROR | ...
  status_reason: string;
  created_at: string;
  updated_at: string;
};
export type StrategyState = { id: number; status: string; status_reason: string };
export type Order = {
  id: number;
  side: 'BUY' | 'SELL' | string;
  leg: 'ENTRY' | 'EXIT' | string;
  reason: string;
  status: string;
  quantity: number;
  filled_quantity: number;
  price: string | null;
  tag: string;
  broker_order_id: string;
  attempts: number;
  last_error: string;
  trading_day: string;
  created_at: string;
  accepted_at: string | null;
  filled_at: string | null;
};
export type StrategyStatus = {
  id: number;
  status: string;
  status_reason: string;
  trading_day: string;
  position: string; // FLAT | ENTERING | LONG | EXITING | CLOSED
  last_action: string | null;
  last_order: Order | null;
  last_price: string | null;
  next_trigger: { leg: string; at: string } | null;
};
export type Position = {
  strategy: number;
  name: string;
  symbol: string;
  position: string;
  quantity: number;
  entry_price: string | null;
  exit_price: string | null;
  exit_reason: string | null;
  last_price: string | null;
  realised_pnl: string | null;
  unrealised_pnl: string | null;
};
export type Dashboard = {
  trading_day: string;
  positions: Position[];
  unrealised_total: string;
  realised: {
    start: string;
    end: string;
    total: string;
    by_strategy: { strategy: number; name: string; symbol: string; pnl: string; trades: number; wins: number }[];
    by_day: { day: string; pnl: string; trades: number }[];
  };
  history: { count: number; page: number; page_size: number; results: Order[] };
};
export type Notification = {
  id: number;
  kind: string;
  title: string;
  body: string;
  created_at: string;
  read_at: string | null;
};
export type NotificationPage = {
  count: number;
  unread: number;
  page: number;
  page_size: number;
  results: Notification[];
};

/** Events of ws://host/ws/updates (apps/marketdata/live.py, apps/strategies/runtime.py). */
export type LiveEvent =
  | { type: 'hello'; user: number }
  | { type: 'heartbeat' }
  | { type: 'pong' }
  | { type: 'strategy'; id: number; status: string; reason: string }
  | ({ type: 'order'; strategy_id: number } & Pick<Order, 'id' | 'tag' | 'side' | 'leg' | 'reason' | 'status' | 'quantity' | 'trading_day' | 'price'>)
  | { type: 'prices'; prices: Record<string, string>; t?: number }
  | { type: 'notification'; id: number; kind: string; title: string };

// --- errors ---------------------------------------------------------------------------------

export type FieldErrors = Record<string, string[]>;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldErrors;

  constructor(status: number, code: string, message: string, fields: FieldErrors = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

/** The request never got an answer: offline, server down, DNS, timeout. */
export class NetworkError extends Error {
  constructor(message = 'Cannot reach the server. Check your connection.') {
    super(message);
    this.name = 'NetworkError';
  }
}

/** The session is gone (refresh token expired, revoked or rotated elsewhere): sign in again. */
export class AuthExpiredError extends ApiError {
  constructor(message = 'Your session has expired. Please sign in again.') {
    super(401, 'session_expired', message);
    this.name = 'AuthExpiredError';
  }
}

export function isOffline(error: unknown): error is NetworkError {
  return error instanceof NetworkError;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

// --- helpers --------------------------------------------------------------------------------

export function normaliseBaseUrl(url: string): string {
  let out = url.trim().replace(/\/+$/, '');
  if (out !== '' && !/^https?:\/\//i.test(out)) out = `http://${out}`;
  return out.replace(/\/api$/, '');
}

/** Seconds since the epoch at which a JWT expires (null: not a JWT / no exp). */
export function jwtExpiry(token: string): number | null {
  const part = token.split('.')[1];
  if (part == null) return null;
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    const payload = JSON.parse(globalThis.atob(padded)) as { exp?: number };
    return typeof payload.exp === 'number' ? payload.exp : null;
  } catch {
    return null;
  }
}

const SESSION_KEY = 'session';
const REFRESH_MARGIN_SECONDS = 15; // refresh this long before the access token expires

type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export type ApiClientOptions = {
  baseUrl: string;
  store: Store;
  fetch?: FetchFn;
  WebSocket?: typeof WebSocket;
  timeoutMs?: number;
  now?: () => number; // ms, for tests
};

type Listener = (session: Session | null, reason?: 'expired' | 'signed-out' | 'signed-in' | 'refreshed') => void;

export class ApiClient {
  private base: string;
  private readonly store: Store;
  private readonly fetchFn: FetchFn;
  private readonly WebSocketImpl: typeof WebSocket | undefined;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private current: Session | null = null;
  private refreshing: Promise<Session> | null = null;
  private listeners = new Set<Listener>();

  constructor(options: ApiClientOptions) {
    this.base = normaliseBaseUrl(options.baseUrl);
    this.store = options.store;
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
    this.timeoutMs = options.timeoutMs ?? 15000;
    this.now = options.now ?? (() => Date.now());
  }

  // -- configuration and session ----------------------------------------------------------

  get baseUrl(): string {
    return this.base;
  }

  set baseUrl(url: string) {
    this.base = normaliseBaseUrl(url);
  }

  get session(): Session | null {
    return this.current;
  }

  /** Called with the new session on sign-in, refresh and sign-out (null). */
  onSessionChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async setSession(session: Session | null, reason: Parameters<Listener>[1]): Promise<void> {
    this.current = session;
    if (session == null) await this.store.remove(SESSION_KEY);
    else await this.store.set(SESSION_KEY, JSON.stringify(session));
    for (const listener of this.listeners) listener(session, reason);
  }

  /** Load the saved session (app start). Returns it, or null when signed out. */
  async restore(): Promise<Session | null> {
    const raw = await this.store.get(SESSION_KEY);
    if (raw == null) return null;
    try {
      const parsed = JSON.parse(raw) as Session;
      if (typeof parsed.refresh !== 'string' || parsed.user == null) throw new Error('bad session');
      this.current = parsed;
      return parsed;
    } catch {
      await this.store.remove(SESSION_KEY);
      return null;
    }
  }

  // -- transport ----------------------------------------------------------------------------

  private async send(method: Method, path: string, body: unknown, access: string | null): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (access != null) headers.Authorization = `Bearer ${access}`;
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = controller ? setTimeout(() => controller.abort(), this.timeoutMs) : null;
    try {
      return await this.fetchFn(`${this.base}/api${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller?.signal,
      });
    } catch (error) {
      if (controller?.signal.aborted) throw new NetworkError('The server did not answer in time.');
      throw new NetworkError();
    } finally {
      if (timer != null) clearTimeout(timer);
    }
  }

  private static async parse<T>(response: Response): Promise<T> {
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let data: unknown = null;
    if (text !== '') {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (response.ok) return data as T;
    const err = (data as { error?: { code?: string; message?: string; fields?: FieldErrors } } | null)?.error;
    if (err != null) {
      throw new ApiError(response.status, err.code ?? 'error', err.message ?? `Request failed (${response.status}).`, err.fields ?? {});
    }
    if (response.status >= 500) {
      throw new ApiError(response.status, 'server_error', 'The server had a problem. Try again in a moment.');
    }
    throw new ApiError(response.status, 'error', `Request failed (${response.status}).`);
  }

  private accessIsFresh(session: Session): boolean {
    const exp = jwtExpiry(session.access);
    return exp == null || exp - REFRESH_MARGIN_SECONDS > this.now() / 1000;
  }

  /** A fresh refresh, shared by every caller that needs one while it runs. */
  refresh(): Promise<Session> {
    if (this.refreshing == null) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<Session> {
    const session = this.current;
    if (session == null) throw new AuthExpiredError('You are signed out.');
    const response = await this.send('POST', '/auth/refresh', { refresh: session.refresh }, null);
    if (response.status === 401 || response.status === 400 || response.status === 403) {
      // The refresh token is expired, blacklisted or the user suspended: only a sign-in helps.
      await this.setSession(null, 'expired');
      throw new AuthExpiredError();
    }
    const pair = await ApiClient.parse<{ access: string; refresh: string }>(response);
    if (this.current == null || this.current.refresh !== session.refresh) {
      // Signed out (or in as someone else) while the refresh ran: do not resurrect it.
      throw new AuthExpiredError('You are signed out.');
    }
    const next: Session = { ...session, access: pair.access, refresh: pair.refresh };
    await this.setSession(next, 'refreshed');
    return next;
  }

  /** An access token valid for at least a few more seconds (refreshing when needed). */
  async accessToken(): Promise<string> {
    const session = this.current;
    if (session == null) throw new AuthExpiredError('You are signed out.');
    if (this.refreshing != null || !this.accessIsFresh(session)) return (await this.refresh()).access;
    return session.access;
  }

  async request<T>(method: Method, path: string, body?: unknown, options: { auth?: boolean } = {}): Promise<T> {
    const auth = options.auth ?? true;
    if (!auth) return ApiClient.parse<T>(await this.send(method, path, body, null));
    const access = await this.accessToken();
    const response = await this.send(method, path, body, access);
    if (response.status !== 401) return ApiClient.parse<T>(response);
    // Rejected although it looked fresh (clock skew, revoked): one refresh, one retry.
    const session = this.current?.access === access ? await this.refresh() : this.current;
    if (session == null) throw new AuthExpiredError();
    const retried = await this.send(method, path, body, session.access);
    if (retried.status === 401) {
      await this.setSession(null, 'expired');
      throw new AuthExpiredError();
    }
    return ApiClient.parse<T>(retried);
  }

  // -- auth ---------------------------------------------------------------------------------

  async login(email: string, password: string): Promise<User> {
    const data = await this.request<Session>('POST', '/auth/login', { email: email.trim(), password }, { auth: false });
    await this.setSession({ access: data.access, refresh: data.refresh, user: data.user }, 'signed-in');
    return data.user;
  }

  register(email: string, password: string): Promise<User> {
    return this.request<User>('POST', '/auth/register', { email: email.trim(), password }, { auth: false });
  }

  /** Revoke the refresh token (best effort: offline still signs out locally). */
  async logout(): Promise<void> {
    const session = this.current;
    if (session != null) {
      try {
        await this.send('POST', '/auth/logout', { refresh: session.refresh }, session.access);
      } catch {
        // offline: the token expires on its own; the device forgets it now
      }
    }
    await this.setSession(null, 'signed-out');
  }

  me(): Promise<Me> {
    return this.request('GET', '/me');
  }

  // -- broker -------------------------------------------------------------------------------

  brokers(): Promise<BrokerInfo[]> {
    return this.request('GET', '/broker/brokers');
  }

  brokerAccounts(): Promise<BrokerAccount[]> {
    return this.request('GET', '/broker/accounts');
  }

  connectBroker(input: { broker: string; credentials: Record<string, string>; label?: string }): Promise<BrokerAccount> {
    return this.request('POST', '/broker/connect', input);
  }

  /**
   * Daily re-login (Kite and Fyers sessions end every morning). Redirect brokers answer the
   * broker's login page URL (with a signed single-use `state`); the others are re-validated
   * at once and `login_url` is null.
   */
  startBrokerLogin(accountId: number): Promise<BrokerLoginStart> {
    return this.request('POST', `/broker/accounts/${accountId}/login/start`, {});
  }

  /** The broker's redirect came back to the app: hand its one-time code to the server. */
  completeBrokerLogin(params: { state: string; request_token?: string; auth_code?: string }): Promise<BrokerAccount> {
    return this.request('POST', '/broker/login/callback', params);
  }

  /** Replace stored credentials, e.g. Dhan's new daily access token (checked with the broker). */
  updateBrokerCredentials(accountId: number, credentials: Record<string, string>): Promise<BrokerAccount> {
    return this.request('POST', `/broker/accounts/${accountId}/credentials`, { credentials });
  }

  // -- strategies ---------------------------------------------------------------------------

  strategies(): Promise<Strategy[]> {
    return this.request('GET', '/strategy/list');
  }

  strategy(id: number): Promise<Strategy> {
    return this.request('GET', `/strategy/${id}`);
  }

  createStrategy(input: StrategyInput): Promise<Strategy> {
    return this.request('POST', '/strategy/create', input);
  }

  startStrategy(id: number): Promise<StrategyState> {
    return this.request('POST', '/strategy/start', { id });
  }

  stopStrategy(id: number): Promise<StrategyState> {
    return this.request('POST', '/strategy/stop', { id });
  }

  strategyStatus(id: number): Promise<StrategyStatus> {
    return this.request('GET', `/strategy/status/${id}`);
  }

  strategyOrders(id: number): Promise<Order[]> {
    return this.request('GET', `/strategy/${id}/orders`);
  }

  // -- dashboard and notifications -------------------------------------------------------------

  dashboard(): Promise<Dashboard> {
    return this.request('GET', '/dashboard');
  }

  notifications(page = 1): Promise<NotificationPage> {
    return this.request('GET', `/notifications?page=${page}`);
  }

  markNotificationRead(id: number): Promise<Notification> {
    return this.request('POST', `/notifications/${id}/read`);
  }

  markAllNotificationsRead(): Promise<{ marked: number }> {
    return this.request('POST', '/notifications/read-all');
  }

  // -- live updates -------------------------------------------------------------------------

  /** ws(s)://host/ws/updates?token=<fresh access token> */
  async liveUrl(): Promise<string> {
    const token = await this.accessToken();
    const wsBase = this.base.replace(/^http/i, 'ws');
    return `${wsBase}/ws/updates?token=${encodeURIComponent(token)}`;
  }

  /** Open the live-updates socket (lib/live.ts keeps it alive and fans events out). */
  async openLiveSocket(): Promise<WebSocket> {
    if (this.WebSocketImpl == null) throw new NetworkError('WebSockets are not available here.');
    return new this.WebSocketImpl(await this.liveUrl());
  }
}
