import type { BrokerAccount } from './api';
import { tokenStatus } from './format';

/** What the trader needs to know about today's broker session. */
export function sessionLabel(a: BrokerAccount): { label: string; needsLogin: boolean } {
  const method = a.login_method ?? (a.broker === 'paper' ? 'none' : 'redirect');
  if (method === 'none') return { label: 'Paper trading: no login needed', needsLogin: false };
  if (a.status === 'NEEDS_LOGIN') return { label: 'Login needed for today', needsLogin: true };
  if (method === 'totp') return { label: 'Logs in by itself (PIN + TOTP)', needsLogin: a.token_valid === false };
  const token = tokenStatus(a.token_valid_until);
  const needsLogin = a.token_valid === false || token.expired;
  if (a.token_valid_until == null) return { label: needsLogin ? 'Login needed for today' : 'Session active', needsLogin };
  return { label: token.label, needsLogin };
}

/** Query parameters of a redirect URL (React Native's URL has no full searchParams). */
export function queryParams(url: string): Record<string, string> {
  const query = url.split('#')[0].split('?')[1] ?? '';
  const out: Record<string, string> = {};
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const [k, v = ''] = pair.split('=');
    out[decodeURIComponent(k.replace(/\+/g, ' '))] = decodeURIComponent(v.replace(/\+/g, ' '));
  }
  return out;
}
