"use server";

import { revalidatePath } from "next/cache";

import type { ActionResult } from "@/lib/api-error";
import { adminUserSchema, killSwitchSchema, type AdminUserValues, type KillSwitchValues } from "@/lib/schemas";
import { callWithRefresh } from "@/lib/server/backend";
import type { AdminUser, KillEngage, KillSwitch } from "@/lib/types";

import { attempt } from "./result";

/** Suspend (signs the user out everywhere, refuses logins) and, by default, stop their strategies. */
export async function suspendUserAction(id: number, reason: string, stopStrategies = true): Promise<ActionResult<AdminUser & { stopped: number }>> {
  const res = await attempt(async () => {
    const user = await callWithRefresh<AdminUser>(`/api/admin/users/${id}/suspend`, { method: "POST", body: { reason } });
    let stopped = 0;
    if (stopStrategies) {
      const out = await callWithRefresh<{ stopped: number[] }>(`/api/admin/users/${id}/stop-strategies`, {
        method: "POST",
        body: { reason: `Account suspended${reason ? `: ${reason}` : ""}`.slice(0, 250) },
      });
      stopped = out.stopped.length;
    }
    return { ...user, stopped };
  });
  revalidatePath("/admin/users");
  return res;
}

export async function activateUserAction(id: number): Promise<ActionResult<AdminUser>> {
  const res = await attempt(() => callWithRefresh<AdminUser>(`/api/admin/users/${id}/activate`, { method: "POST" }));
  revalidatePath("/admin/users");
  return res;
}

export async function stopUserStrategiesAction(id: number, reason: string): Promise<ActionResult<{ stopped: number[] }>> {
  return attempt(() => callWithRefresh(`/api/admin/users/${id}/stop-strategies`, { method: "POST", body: { reason } }));
}

export async function createUserAction(values: AdminUserValues): Promise<ActionResult<AdminUser>> {
  const parsed = adminUserSchema.safeParse(values);
  if (!parsed.success) return { ok: false, error: { code: "invalid", message: "Check the highlighted fields.", fields: {} } };
  const body = { ...parsed.data, broker: parsed.data.role === "broker" ? parsed.data.broker : "" };
  const res = await attempt(() => callWithRefresh<AdminUser>("/api/admin/users", { method: "POST", body }));
  revalidatePath("/admin/users");
  return res;
}

export async function stopStrategyAsAdminAction(id: number, reason: string): Promise<ActionResult<{ id: number; status: string }>> {
  const res = await attempt(() => callWithRefresh<{ id: number; status: string }>(`/api/admin/strategies/${id}/stop`, { method: "POST", body: { reason } }));
  revalidatePath("/admin/strategies");
  return res;
}

export async function engageKillSwitchAction(values: KillSwitchValues): Promise<ActionResult<KillEngage>> {
  const parsed = killSwitchSchema.safeParse(values);
  if (!parsed.success) return { ok: false, error: { code: "invalid", message: "Check the highlighted fields.", fields: {} } };
  const body = { ...parsed.data, target: parsed.data.scope === "global" ? "" : parsed.data.target };
  const res = await attempt(() => callWithRefresh<KillEngage>("/api/admin/kill-switches", { method: "POST", body }));
  revalidatePath("/admin/system");
  return res;
}

export async function releaseKillSwitchAction(id: number, reason: string): Promise<ActionResult<KillSwitch>> {
  const res = await attempt(() => callWithRefresh<KillSwitch>(`/api/admin/kill-switches/${id}/release`, { method: "POST", body: { reason } }));
  revalidatePath("/admin/system");
  return res;
}

/** Broker staff: halt or release their own broker's flow. */
export async function brokerHaltAction(reason: string, squareOff: boolean): Promise<ActionResult<KillEngage>> {
  const res = await attempt(() => callWithRefresh<KillEngage>("/api/broker/kill", { method: "POST", body: { reason, square_off: squareOff } }));
  revalidatePath("/broker-desk");
  return res;
}

export async function brokerReleaseAction(id: number): Promise<ActionResult<KillSwitch>> {
  const res = await attempt(() => callWithRefresh<KillSwitch>(`/api/broker/kill/${id}/release`, { method: "POST", body: { reason: "" } }));
  revalidatePath("/broker-desk");
  return res;
}
