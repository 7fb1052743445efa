/**
 * Zod schemas of every form. They check what the browser can check at once; the API stays
 * the judge (its field errors are put on the same fields, see applyFieldErrors).
 */
import { z } from "zod";

import type { CredentialField } from "./types";

const email = z.string().trim().min(1, "Enter your email.").pipe(z.email("Enter a valid email address."));

export const loginSchema = z.object({
  email,
  password: z.string().min(1, "Enter your password."),
});
export type LoginValues = z.input<typeof loginSchema>;

export const registerSchema = z
  .object({
    email,
    password: z.string().min(8, "Use at least 8 characters.").max(128, "At most 128 characters."),
    confirm: z.string(),
  })
  .refine((v) => v.password === v.confirm, { path: ["confirm"], message: "The passwords do not match." });
export type RegisterValues = z.input<typeof registerSchema>;

const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;

/** "09:15" -> "09:15:00"; what <input type="time" step="1"> gives is HH:MM or HH:MM:SS. */
export function normaliseTime(value: string): string {
  return value.length === 5 ? `${value}:00` : value;
}

const timeOfDay = (label: string) =>
  z.string().trim().regex(TIME_RE, `${label}: use HH:MM:SS (IST).`).transform(normaliseTime);

const price = z
  .string()
  .trim()
  .regex(/^\d{1,10}(\.\d{1,2})?$/, "A price in rupees, at most 2 decimals.")
  .refine((v) => Number(v) > 0, "Must be more than 0.");

export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;

export const strategySchema = z
  .object({
    name: z.string().trim().min(1, "Give the strategy a name.").max(80, "At most 80 characters."),
    symbol: z
      .string()
      .trim()
      .min(1, "Enter a symbol, e.g. TCS.")
      .max(32)
      .transform((s) => s.toUpperCase())
      .pipe(z.string().regex(/^[A-Z0-9&_-]+$/, "Letters, digits, & - _ only (e.g. TCS, M&M).")),
    exchange: z.enum(["NSE", "BSE"]),
    quantity: z.coerce.number<string | number>().int("Whole shares only.").min(1, "At least 1 share."),
    buy_time: timeOfDay("Buy time"),
    sell_time: timeOfDay("Sell time"),
    stop_loss: price,
    product: z.enum(["MIS", "CNC"]),
    broker_account: z.coerce.number<string | number>({ message: "Pick a broker account." }).int().min(1, "Pick a broker account."),
    days: z.array(z.coerce.number<string | number>().int().min(0).max(6)).min(1, "Pick at least one weekday."),
  })
  .refine((v) => v.sell_time > v.buy_time, { path: ["sell_time"], message: "Sell time must be after the buy time." });
export type StrategyInput = z.input<typeof strategySchema>;
export type StrategyValues = z.output<typeof strategySchema>;
export const STRATEGY_FIELDS = ["name", "symbol", "exchange", "quantity", "buy_time", "sell_time", "stop_loss", "product", "broker_account", "days"] as const;

/**
 * The connect form of one broker: its credential fields, required ones checked. `partial`: an
 * update of stored credentials (any field may stay blank, at least one is given).
 */
export function brokerConnectSchema(fields: readonly CredentialField[], { partial = false }: { partial?: boolean } = {}) {
  const credentials: Record<string, z.ZodType<string>> = {};
  for (const f of fields) {
    credentials[f.name] = f.required && !partial ? z.string().trim().min(1, `${f.label} is required.`).max(512) : z.string().trim().max(512);
  }
  return z.object({
    broker: z.string().min(1, "Pick a broker."),
    label: z.string().trim().max(80, "At most 80 characters."),
    credentials: z
      .object(credentials)
      .refine((c) => !partial || Object.values(c).some((v) => v !== ""), { message: "Enter at least one new credential." }),
  });
}
export type BrokerConnectValues = { broker: string; label: string; credentials: Record<string, string> };

export const backtestSchema = z
  .object({
    source: z.enum(["sample", "random", "upload"]),
    symbol: z.string().trim().max(32).transform((s) => s.toUpperCase()),
    start: z.string().trim(),
    end: z.string().trim(),
    buy_time: timeOfDay("Buy time"),
    sell_time: timeOfDay("Sell time"),
    stop_loss: price,
    quantity: z.coerce.number<string | number>().int("Whole shares only.").min(1, "At least 1 share.").max(10_000_000),
    seed: z.string().trim().regex(/^\d*$/, "A whole number."),
    csv: z.string(),
  })
  .refine((v) => v.sell_time > v.buy_time, { path: ["sell_time"], message: "Sell time must be after the buy time." })
  .refine((v) => v.source !== "upload" || v.csv.trim().length > 0, { path: ["csv"], message: "Paste CSV rows: timestamp,open,high,low,close." })
  .refine((v) => v.source === "upload" || v.symbol.length > 0, { path: ["symbol"], message: "Enter a symbol." })
  .refine((v) => !v.start || !v.end || v.start <= v.end, { path: ["end"], message: "End must be on or after start." });
export type BacktestInput = z.input<typeof backtestSchema>;
export type BacktestValues = z.output<typeof backtestSchema>;

/** The JSON body of POST /api/playground/backtests from the form's values (blank = default). */
export function backtestBody(v: BacktestValues): Record<string, unknown> {
  const body: Record<string, unknown> = {
    source: v.source,
    buy_time: v.buy_time,
    sell_time: v.sell_time,
    stop_loss: v.stop_loss,
    quantity: v.quantity,
  };
  if (v.source !== "upload" || v.symbol) body.symbol = v.symbol || undefined;
  if (v.start) body.start = v.start;
  if (v.end) body.end = v.end;
  if (v.source === "random" && v.seed) body.seed = Number(v.seed);
  if (v.source === "upload") body.csv = v.csv;
  return Object.fromEntries(Object.entries(body).filter(([, x]) => x !== undefined));
}

export const killSwitchSchema = z
  .object({
    scope: z.enum(["global", "user", "broker", "strategy"]),
    target: z.string().trim().max(64),
    reason: z.string().trim().min(1, "Say why (it is audited and shown to traders).").max(300),
    square_off: z.boolean(),
  })
  .refine((v) => v.scope === "global" || v.target.length > 0, { path: ["target"], message: "Name the user id, broker or strategy id." });
export type KillSwitchValues = z.input<typeof killSwitchSchema>;

export const reasonSchema = z.object({ reason: z.string().trim().max(200, "At most 200 characters.") });
export type ReasonValues = z.input<typeof reasonSchema>;

export const adminUserSchema = z
  .object({
    email,
    password: z.string().min(8, "Use at least 8 characters.").max(128),
    role: z.enum(["admin", "user", "broker"]),
    broker: z.string().trim().max(32),
  })
  .refine((v) => v.role !== "broker" || v.broker.length > 0, { path: ["broker"], message: "Broker staff need their broker." });
export type AdminUserValues = z.input<typeof adminUserSchema>;
