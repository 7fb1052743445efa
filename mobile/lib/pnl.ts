import type { Dashboard } from './api';

/** Re-price LONG positions with new last prices (unrealised = (last - entry) x quantity). */
export function repriced(dashboard: Dashboard, prices: Record<string, string>): Dashboard {
  let changed = false;
  const positions = dashboard.positions.map((p) => {
    const price = prices[p.symbol];
    if (price === undefined || p.position !== 'LONG' || p.entry_price == null) return p;
    changed = true;
    const unrealised = ((Number(price) - Number(p.entry_price)) * p.quantity).toFixed(2);
    return { ...p, last_price: price, unrealised_pnl: unrealised };
  });
  if (!changed) return dashboard;
  const total = positions.reduce((sum, p) => sum + (p.unrealised_pnl == null ? 0 : Number(p.unrealised_pnl)), 0);
  return { ...dashboard, positions, unrealised_total: total.toFixed(2) };
}
