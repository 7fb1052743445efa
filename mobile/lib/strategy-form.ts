/**
 * Client-side checks of the strategy creator. They mirror the API's rules
 * (apps/strategies/apis.py StrategyFields and services._validate) with the same field
 * names and, where the rule is the same, the same messages, so a field shows the same
 * error whether the phone or the server caught it. The server stays the authority: its
 * `fields` are shown on the same inputs (e.g. an unknown symbol, market hours).
 */
import type { Exchange, FieldErrors, Product, StrategyInput } from './api';

export const MAX_QUANTITY = 100000; // STRATEGY_MAX_QUANTITY default; the server has the last word

export type StrategyForm = {
  name: string;
  symbol: string;
  exchange: Exchange;
  quantity: string;
  buy_time: string;
  sell_time: string;
  stop_loss: string;
  product: Product;
  broker_account: number | null;
  days: number[];
};

export const EMPTY_FORM: StrategyForm = {
  name: '',
  symbol: '',
  exchange: 'NSE',
  quantity: '',
  buy_time: '',
  sell_time: '',
  stop_loss: '',
  product: 'MIS',
  broker_account: null,
  days: [0, 1, 2, 3, 4, 5, 6],
};

export const FORM_FIELDS = [
  'name',
  'symbol',
  'exchange',
  'quantity',
  'buy_time',
  'sell_time',
  'stop_loss',
  'product',
  'broker_account',
  'days',
] as const;

const REQUIRED = 'This field is required.';

/** "9:15" / "09:15" / "09:15:30" -> "09:15:00" / "09:15:30"; null when not a time of day. */
export function normaliseTime(value: string): string | null {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (m == null) return null;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? '0')];
  if (h > 23 || min > 59 || s > 59) return null;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(h)}:${two(min)}:${two(s)}`;
}

export function validateStrategy(form: StrategyForm): FieldErrors {
  const errors: FieldErrors = {};
  const add = (field: string, message: string) => {
    (errors[field] ??= []).push(message);
  };

  const name = form.name.trim();
  if (name === '') add('name', REQUIRED);
  else if (name.length > 80) add('name', 'Ensure this field has no more than 80 characters.');

  const symbol = form.symbol.trim();
  if (symbol === '') add('symbol', REQUIRED);
  else if (symbol.length > 32) add('symbol', 'Ensure this field has no more than 32 characters.');
  else if (!/^[A-Za-z0-9&_.-]+$/.test(symbol)) add('symbol', `Unknown symbol '${symbol.toUpperCase()}' on ${form.exchange}.`);

  const quantity = form.quantity.trim();
  if (quantity === '') add('quantity', REQUIRED);
  else if (!/^-?\d+$/.test(quantity)) add('quantity', 'A valid integer is required.');
  else if (Number(quantity) <= 0) add('quantity', 'Must be at least 1.');
  else if (Number(quantity) > MAX_QUANTITY) add('quantity', `At most ${MAX_QUANTITY}.`);

  const buy = form.buy_time.trim() === '' ? undefined : normaliseTime(form.buy_time);
  const sell = form.sell_time.trim() === '' ? undefined : normaliseTime(form.sell_time);
  const badTime = 'Time has wrong format. Use one of these formats instead: hh:mm:ss, hh:mm.';
  if (buy === undefined) add('buy_time', REQUIRED);
  else if (buy === null) add('buy_time', badTime);
  if (sell === undefined) add('sell_time', REQUIRED);
  else if (sell === null) add('sell_time', badTime);
  if (buy && sell && buy >= sell) add('sell_time', 'Must be after buy_time.');

  const stop = form.stop_loss.trim();
  if (stop === '') add('stop_loss', REQUIRED);
  else if (!/^-?\d*\.?\d*$/.test(stop) || stop === '.' || stop === '-') add('stop_loss', 'A valid number is required.');
  else if ((stop.split('.')[1] ?? '').length > 2) add('stop_loss', 'Ensure that there are no more than 2 decimal places.');
  else if (stop.replace(/[-.]/g, '').replace(/^0+/, '').length > 12) add('stop_loss', 'Ensure that there are no more than 12 digits in total.');
  else if (Number(stop) <= 0) add('stop_loss', 'Must be greater than 0.');

  if (form.broker_account == null) add('broker_account', REQUIRED);
  if (form.days.length === 0) add('days', 'Pick at least one weekday.');
  return errors;
}

/** The request body for POST /api/strategy/create (call after validateStrategy() is empty). */
export function toStrategyInput(form: StrategyForm): StrategyInput {
  return {
    name: form.name.trim(),
    symbol: form.symbol.trim().toUpperCase(),
    exchange: form.exchange,
    quantity: Number(form.quantity.trim()),
    buy_time: normaliseTime(form.buy_time) ?? form.buy_time,
    sell_time: normaliseTime(form.sell_time) ?? form.sell_time,
    stop_loss: Number(form.stop_loss.trim()).toFixed(2),
    product: form.product,
    broker_account: form.broker_account ?? 0,
    days: [...form.days].sort((a, b) => a - b),
  };
}

/**
 * Server field errors onto the form's inputs. DRF may name nested keys ("days.0"); those
 * go to their top-level field. Anything that is not a form field (e.g. "non_field_errors")
 * is returned as a form-level message list.
 */
export function splitServerErrors(fields: FieldErrors): { fields: FieldErrors; other: string[] } {
  const out: FieldErrors = {};
  const other: string[] = [];
  for (const [key, messages] of Object.entries(fields)) {
    const top = key.split('.')[0];
    if ((FORM_FIELDS as readonly string[]).includes(top)) (out[top] ??= []).push(...messages);
    else other.push(...messages);
  }
  return { fields: out, other };
}
