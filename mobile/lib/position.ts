/**
 * Today's position from an order event, the same rule as the server's position_of()
 * (apps/strategies/runtime.py): one leg's status is enough, since an exit needs a filled entry.
 */
import type { LiveEvent, StrategyStatus } from './api';

const IN_FLIGHT = new Set(['NEW', 'SUBMITTING', 'UNKNOWN', 'OPEN']);
const DEAD = new Set(['REJECTED', 'FAILED', 'CANCELLED']);

export function positionAfter(leg: string, status: string): string {
  if (leg === 'EXIT') {
    if (status === 'FILLED') return 'CLOSED';
    if (IN_FLIGHT.has(status)) return 'EXITING';
    return 'LONG'; // the exit failed: the shares are still held
  }
  if (DEAD.has(status)) return 'FLAT';
  if (status === 'FILLED') return 'LONG';
  return 'ENTERING';
}

type OrderEvent = Extract<LiveEvent, { type: 'order' }>;

/** The status screen's state right after an order event (before the re-fetch confirms it). */
export function applyOrderEvent(status: StrategyStatus, event: OrderEvent): StrategyStatus {
  const previous = status.last_order;
  return {
    ...status,
    position: positionAfter(event.leg, event.status),
    last_action: `${event.side} ${event.status}`,
    last_order: {
      filled_quantity: 0,
      broker_order_id: '',
      attempts: 0,
      last_error: '',
      created_at: previous?.id === event.id ? previous.created_at : new Date().toISOString(),
      accepted_at: null,
      filled_at: null,
      ...(previous?.id === event.id ? previous : {}),
      id: event.id,
      tag: event.tag,
      side: event.side,
      leg: event.leg,
      reason: event.reason,
      status: event.status,
      quantity: event.quantity,
      trading_day: event.trading_day,
      price: event.price ?? previous?.price ?? null,
    },
  };
}
