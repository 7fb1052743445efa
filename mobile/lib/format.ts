/** Display helpers: money in rupees (Indian digit grouping), times in IST. */

export function money(value: string | number | null | undefined): string {
  if (value == null || value === '') return '—';
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return String(value);
  const sign = n < 0 ? '-' : '';
  const [whole, frac] = Math.abs(n).toFixed(2).split('.');
  // Indian grouping: last 3 digits, then groups of 2 (12,34,567.89).
  const last3 = whole.slice(-3);
  const rest = whole.slice(0, -3).replace(/\B(?=(\d{2})+(?!\d))/g, ',');
  return `${sign}₹${rest ? `${rest},${last3}` : last3}.${frac}`;
}

export function signedMoney(value: string | number | null | undefined): string {
  if (value == null || value === '') return '—';
  const n = Number(value);
  return n > 0 ? `+${money(n)}` : money(n);
}

const IST_TIME = { timeZone: 'Asia/Kolkata', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false } as const;
const IST_DATE_TIME = { timeZone: 'Asia/Kolkata', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false } as const;

export function istTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString('en-GB', IST_TIME);
}

export function istDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toLocaleString('en-GB', IST_DATE_TIME)} IST`;
}

/** How long a broker token stays valid, for the broker screen. */
export function tokenStatus(validUntil: string | null, now: number = Date.now()): { label: string; expired: boolean } {
  if (validUntil == null) return { label: 'No expiry', expired: false };
  const until = new Date(validUntil).getTime();
  if (Number.isNaN(until)) return { label: validUntil, expired: false };
  if (until <= now) return { label: `Expired ${istDateTime(validUntil)}`, expired: true };
  return { label: `Valid until ${istDateTime(validUntil)}`, expired: false };
}

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
