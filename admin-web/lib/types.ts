/** Shapes of the Django API (see /api/schema/). Decimals and money are strings. */
import type { Role } from "./session-core";

export type { Role };

export interface Me {
  id: number;
  email: string;
  role: Role;
  broker: string;
  date_joined: string;
}

export interface Tokens {
  access: string;
  refresh: string;
  user: { id: number; email: string; role: Role };
}

export type StrategyStatus = "STOPPED" | "RUNNING" | "ERROR";
export type Position = "FLAT" | "ENTERING" | "LONG" | "EXITING" | "CLOSED";

export interface Strategy {
  id: number;
  user: number;
  name: string;
  symbol: string;
  exchange: string;
  quantity: number;
  buy_time: string;
  sell_time: string;
  stop_loss: string;
  product: string;
  days: number[];
  broker_account: number;
  status: StrategyStatus | string;
  status_reason: string;
  created_at: string;
  updated_at: string;
}

export interface Order {
  id: number;
  side: string;
  leg: string;
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
}

export interface StrategyStatusOut {
  id: number;
  status: string;
  status_reason: string;
  trading_day: string;
  position: Position | string;
  last_action: string | null;
  last_order: Order | null;
  last_price: string | null;
  next_trigger: Record<string, unknown> | null;
}

export interface BrokerAccount {
  id: number;
  broker: string;
  label: string;
  status: "ACTIVE" | "NEEDS_LOGIN" | "DISABLED" | string;
  status_reason: string;
  token_valid_until: string | null;
  /** Newer APIs: active and the broker session not past its end. */
  token_valid?: boolean;
  /** Newer APIs: how to log in again (redirect: open login_url; totp: automatic; token: send new credentials). */
  login_method?: "redirect" | "totp" | "token" | "none" | string;
  created_at: string;
}

export interface LoginStart {
  broker_account: BrokerAccount;
  method: string;
  login_url: string | null;
  message: string;
}

export interface CredentialField {
  name: string;
  label: string;
  required: boolean;
  secret: boolean;
}

export interface BrokerInfo {
  name: string;
  display_name: string;
  available: boolean;
  credential_fields: CredentialField[];
}

export interface PositionRow {
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
}

export interface Paged<T> {
  count: number;
  page: number;
  page_size: number;
  results: T[];
}

export interface Dashboard {
  trading_day: string;
  positions: PositionRow[];
  unrealised_total: string;
  realised: {
    start: string;
    end: string;
    total: string;
    by_strategy: { strategy: number; name: string; symbol: string; pnl: string; trades: number; wins: number }[];
    by_day: { day: string; pnl: string; trades: number }[];
  };
  history: Paged<Order>;
}

export interface BacktestRun {
  id: number;
  status: "QUEUED" | "RUNNING" | "DONE" | "FAILED" | string;
  progress: number;
  source: string;
  params: Record<string, unknown>;
  error: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface BacktestTrade {
  day: string;
  entry_time: string;
  entry_price: string;
  exit_time: string;
  exit_price: string;
  exit_reason: string;
  quantity: number;
  pnl: string;
}

export interface BacktestResult {
  trading_days: number;
  trades: BacktestTrade[];
  summary: {
    trades: number;
    wins: number;
    losses: number;
    win_rate: number | null;
    stop_loss_exits: number;
    total_pnl: string;
    max_drawdown: string;
    best_trade: string | null;
    worst_trade: string | null;
  };
  equity_curve: { day: string; equity: string }[];
  bars?: number;
  timing_ms?: Record<string, number>;
}

export interface BacktestRunDetail extends BacktestRun {
  result: BacktestResult | null;
}

export interface AdminUser {
  id: number;
  email: string;
  role: Role;
  broker: string;
  is_active: boolean;
  date_joined: string;
  last_login: string | null;
  suspended_at: string | null;
  suspended_reason: string;
}

export interface AdminStrategy {
  id: number;
  user: number;
  user_email: string;
  broker: string;
  broker_account: number;
  name: string;
  symbol: string;
  exchange: string;
  quantity: number;
  buy_time: string;
  sell_time: string;
  stop_loss: string;
  status: string;
  status_reason: string;
  trading_day: string;
  position: string;
  last_order: { id: number; leg: string; side: string; reason: string; status: string; last_error: string; updated_at: string } | null;
  halted_by: string | null;
}

export interface KillSwitch {
  id: number;
  scope: "global" | "user" | "broker" | "strategy" | string;
  target: string;
  field: string;
  active: boolean;
  reason: string;
  square_off: boolean;
  created_by: string | null;
  created_at: string;
  released_by: string | null;
  released_at: string | null;
  release_reason: string;
}

export interface KillEngage {
  switch: KillSwitch;
  created: boolean;
  published: boolean;
  stopped: number;
  squared_off: number;
  deferred: boolean;
}

export interface Percentiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export interface OrderRates {
  total: number;
  by_status: Record<string, number>;
  success_rate: number | null;
  reject_rate: number | null;
  failure_rate?: number | null;
}

export interface AdminSystem {
  queues: Record<string, number>;
  services: Record<string, string>;
  users: Record<string, number>;
  heartbeats?: { name: string; kind: string; queues: string[]; pid: number; age_seconds: number }[];
  ticks_per_second?: number | null;
  latency_ms?: Record<string, Percentiles>;
  orders?: Record<string, OrderRates>;
  recent_errors?: { id: number; strategy_id: number; user_id: number; symbol: string; side: string; leg: string; reason: string; status: string; last_error: string; updated_at: string }[];
  strategies?: Record<string, number>;
  kill_switches?: Record<string, string>;
  error?: string;
}

export interface BrokerStats {
  broker: string;
  accounts: number;
  active_accounts: number;
  clients: number;
  strategies: number;
  running_strategies: number;
  orders_24h: {
    total: number;
    by_status: Record<string, number>;
    filled_quantity: number;
    turnover: string;
    success_rate: number | null;
    reject_rate: number | null;
  };
  api_health: { orders_last_hour: number; unknown_or_failed_share: number | null; status: "idle" | "ok" | "degraded" | string };
  peak_orders_per_second: number;
  client_list: {
    user: number;
    email: string;
    peak_orders_per_second: number;
    accounts: { broker_account: number; label: string; primary_ip: string | null; secondary_ip: string | null }[];
  }[];
}

export interface AdminOrder extends Order {
  strategy: number;
  user: number;
  broker_account: number;
  symbol: string;
  exchange: string;
  due_at: string | null;
  submitted_at: string | null;
  updated_at: string;
}

export interface Notification {
  id: number;
  kind: string;
  title: string;
  body: string;
  created_at: string;
  read_at: string | null;
}

export interface NotificationSettings {
  email_enabled: boolean;
  telegram_enabled: boolean;
  telegram_chat_id: string;
  telegram_bot_token_set: boolean;
  muted_kinds: string[];
}
