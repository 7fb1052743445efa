/**
 * Live updates from GET /api/stream (our proxy of the backend's SSE stream). Events:
 *   strategy  {"type":"strategy","id","status","reason"}
 *   order     {"type":"order","strategy_id","id","tag","side","leg","reason","status","quantity","trading_day","price"}
 *   prices    {"type":"prices","prices":{SYMBOL: "123.45"},"t"}
 *   heartbeat {"type":"heartbeat"}   hello {"type":"hello","user"}
 * Pure functions only: the Zustand store applies them.
 */

export interface StrategyEvent {
  type: "strategy";
  id: number;
  status: string;
  reason?: string;
}

export interface OrderEvent {
  type: "order";
  strategy_id: number;
  id: number;
  tag?: string;
  side: string;
  leg: "ENTRY" | "EXIT" | string;
  reason?: string;
  status: string;
  quantity?: number;
  trading_day?: string;
  price?: string | null;
}

export interface PricesEvent {
  type: "prices";
  prices: Record<string, string>;
  t?: number;
}

export type LiveEvent = StrategyEvent | OrderEvent | PricesEvent | { type: "heartbeat" } | { type: "hello"; user?: number } | { type: string };

const IN_FLIGHT = new Set(["NEW", "SUBMITTING", "UNKNOWN", "OPEN"]);
const DEAD = new Set(["REJECTED", "FAILED", "CANCELLED"]);

/** Today's position after an order event (the backend's position_of, one leg at a time). */
export function positionAfter(order: Pick<OrderEvent, "leg" | "status">): string {
  if (order.leg === "EXIT") {
    if (order.status === "FILLED") return "CLOSED";
    if (IN_FLIGHT.has(order.status)) return "EXITING";
    return "LONG"; // the exit failed: the shares are still held
  }
  if (order.status === "FILLED") return "LONG";
  if (DEAD.has(order.status)) return "FLAT";
  return "ENTERING";
}

export interface LiveStrategyState {
  status?: string;
  reason?: string;
  position?: string;
  lastAction?: string;
  lastOrder?: OrderEvent;
  updatedAt: number;
}

export interface LiveState {
  strategies: Record<number, LiveStrategyState>;
  prices: Record<string, string>;
  lastEventAt: number | null;
  /** Bumped on every order/strategy event, so pages can refetch what the event does not carry. */
  revision: number;
}

export const emptyLiveState: LiveState = { strategies: {}, prices: {}, lastEventAt: null, revision: 0 };

export function parseEvent(name: string, data: string): LiveEvent | null {
  try {
    const parsed = JSON.parse(data) as LiveEvent;
    if (!parsed || typeof parsed !== "object") return null;
    return { ...parsed, type: parsed.type ?? name };
  } catch {
    return null;
  }
}

export function applyEvent(state: LiveState, event: LiveEvent, now: number = Date.now()): LiveState {
  switch (event.type) {
    case "strategy": {
      const e = event as StrategyEvent;
      const prev = state.strategies[e.id] ?? { updatedAt: now };
      return {
        ...state,
        lastEventAt: now,
        revision: state.revision + 1,
        strategies: { ...state.strategies, [e.id]: { ...prev, status: e.status, reason: e.reason ?? "", updatedAt: now } },
      };
    }
    case "order": {
      const e = event as OrderEvent;
      const prev = state.strategies[e.strategy_id] ?? { updatedAt: now };
      return {
        ...state,
        lastEventAt: now,
        revision: state.revision + 1,
        strategies: {
          ...state.strategies,
          [e.strategy_id]: { ...prev, position: positionAfter(e), lastAction: `${e.side} ${e.status}`, lastOrder: e, updatedAt: now },
        },
      };
    }
    case "prices": {
      const e = event as PricesEvent;
      return { ...state, lastEventAt: now, prices: { ...state.prices, ...e.prices } };
    }
    default:
      return { ...state, lastEventAt: now };
  }
}
