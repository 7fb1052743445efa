"use server";

import { revalidatePath } from "next/cache";

import type { ActionResult } from "@/lib/api-error";
import { backtestBody, backtestSchema, brokerConnectSchema, strategySchema, type BacktestInput, type BrokerConnectValues, type StrategyInput } from "@/lib/schemas";
import { callWithRefresh } from "@/lib/server/backend";
import type { BacktestRun, BrokerAccount, BrokerInfo, LoginStart, Strategy } from "@/lib/types";

import { attempt } from "./result";

const invalid = (message: string) => ({ ok: false as const, error: { code: "invalid", message, fields: {} } });

export async function createStrategyAction(values: StrategyInput): Promise<ActionResult<Strategy>> {
  const parsed = strategySchema.safeParse(values);
  if (!parsed.success) return invalid("Check the highlighted fields.");
  const res = await attempt(() => callWithRefresh<Strategy>("/api/strategy/create", { method: "POST", body: parsed.data }));
  if (res.ok) revalidatePath("/strategies");
  return res;
}

export async function updateStrategyAction(id: number, values: StrategyInput): Promise<ActionResult<Strategy>> {
  const parsed = strategySchema.safeParse(values);
  if (!parsed.success) return invalid("Check the highlighted fields.");
  const res = await attempt(() => callWithRefresh<Strategy>(`/api/strategy/${id}`, { method: "PATCH", body: parsed.data }));
  if (res.ok) revalidatePath(`/strategies/${id}`);
  return res;
}

export async function setStrategyRunningAction(id: number, run: boolean): Promise<ActionResult<{ id: number; status: string; status_reason: string }>> {
  return attempt(() => callWithRefresh(`/api/strategy/${run ? "start" : "stop"}`, { method: "POST", body: { id } }));
}

export async function deleteStrategyAction(id: number): Promise<ActionResult<null>> {
  const res = await attempt(() => callWithRefresh<null>(`/api/strategy/${id}`, { method: "DELETE" }));
  if (res.ok) revalidatePath("/strategies");
  return res;
}

async function credentialFields(broker: string) {
  const brokers = await callWithRefresh<BrokerInfo[]>("/api/broker/brokers");
  return brokers.find((b) => b.name === broker)?.credential_fields ?? [];
}

export async function connectBrokerAction(values: BrokerConnectValues): Promise<ActionResult<BrokerAccount>> {
  return attempt(async () => {
    const parsed = brokerConnectSchema(await credentialFields(values.broker)).parse(values);
    const credentials = Object.fromEntries(Object.entries(parsed.credentials).filter(([, v]) => v !== ""));
    const body = { broker: parsed.broker, credentials, ...(parsed.label ? { label: parsed.label } : {}) };
    const account = await callWithRefresh<BrokerAccount>("/api/broker/connect", { method: "POST", body });
    revalidatePath("/brokers");
    return account;
  });
}

/** Start today's broker login: a URL to open (Zerodha, Fyers), or an immediate re-check. */
export async function brokerLoginStartAction(id: number): Promise<ActionResult<LoginStart>> {
  const res = await attempt(() => callWithRefresh<LoginStart>(`/api/broker/accounts/${id}/login/start`, { method: "POST", body: {} }));
  revalidatePath("/brokers");
  return res;
}

/** Replace stored credentials (e.g. Dhan's new daily access token), checked with the broker. */
export async function brokerCredentialsAction(id: number, values: BrokerConnectValues): Promise<ActionResult<BrokerAccount>> {
  return attempt(async () => {
    const parsed = brokerConnectSchema(await credentialFields(values.broker), { partial: true }).parse(values);
    const credentials = Object.fromEntries(Object.entries(parsed.credentials).filter(([, v]) => v !== ""));
    const account = await callWithRefresh<BrokerAccount>(`/api/broker/accounts/${id}/credentials`, { method: "POST", body: { credentials } });
    revalidatePath("/brokers");
    return account;
  });
}

/**
 * Re-login on an API without login/start or credentials updates (older backends): the API has no "update credentials" call, so a fresh login is a new account with
 * the new credentials; the old account's strategies move over to it (PATCH broker_account,
 * refused while a position is open) and the old account is removed once nothing uses it.
 */
export async function reloginBrokerAction(
  oldId: number,
  values: BrokerConnectValues,
): Promise<ActionResult<{ account: BrokerAccount; moved: number; kept: string[] }>> {
  return attempt(async () => {
    const accounts = await callWithRefresh<BrokerAccount[]>("/api/broker/accounts");
    const old = accounts.find((a) => a.id === oldId);
    const parsed = brokerConnectSchema(await credentialFields(values.broker)).parse(values);
    const credentials = Object.fromEntries(Object.entries(parsed.credentials).filter(([, v]) => v !== ""));
    const stamp = new Date().toLocaleString("en-GB", { timeZone: "Asia/Kolkata", day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit" });
    const label = parsed.label || `${old?.label ?? parsed.broker} (login ${stamp})`.slice(0, 80);
    const account = await callWithRefresh<BrokerAccount>("/api/broker/connect", { method: "POST", body: { broker: parsed.broker, credentials, label } });
    const strategies = await callWithRefresh<Strategy[]>("/api/strategy/list");
    let moved = 0;
    const kept: string[] = [];
    for (const s of strategies.filter((x) => x.broker_account === oldId)) {
      try {
        await callWithRefresh(`/api/strategy/${s.id}`, { method: "PATCH", body: { broker_account: account.id } });
        moved += 1;
      } catch (err) {
        kept.push(`${s.name}: ${err instanceof Error ? err.message : "could not move"}`);
      }
    }
    if (old && kept.length === 0) await callWithRefresh(`/api/broker/accounts/${oldId}`, { method: "DELETE" }).catch(() => undefined);
    revalidatePath("/brokers");
    return { account, moved, kept };
  });
}

export async function deleteBrokerAccountAction(id: number): Promise<ActionResult<null>> {
  const res = await attempt(() => callWithRefresh<null>(`/api/broker/accounts/${id}`, { method: "DELETE" }));
  if (res.ok) revalidatePath("/brokers");
  return res;
}

export async function startBacktestAction(values: BacktestInput): Promise<ActionResult<BacktestRun>> {
  const parsed = backtestSchema.safeParse(values);
  if (!parsed.success) return invalid("Check the highlighted fields.");
  const res = await attempt(() => callWithRefresh<BacktestRun>("/api/playground/backtests", { method: "POST", body: backtestBody(parsed.data) }));
  if (res.ok) revalidatePath("/playground");
  return res;
}

export async function markNotificationsReadAction(): Promise<ActionResult<{ marked: number }>> {
  return attempt(() => callWithRefresh("/api/notifications/read-all", { method: "POST" }));
}
