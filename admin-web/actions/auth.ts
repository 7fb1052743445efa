"use server";

import { cookies } from "next/headers";
import { redirect } from "next/navigation";

import type { ActionResult } from "@/lib/api-error";
import { loginSchema, registerSchema, type LoginValues, type RegisterValues } from "@/lib/schemas";
import { call, clearSession, setSession } from "@/lib/server/backend";
import { REFRESH_COOKIE, homeFor } from "@/lib/session-core";
import type { Tokens } from "@/lib/types";

import { attempt } from "./result";

function safeNext(next: string | undefined): string | null {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : null;
}

export async function loginAction(values: LoginValues, next?: string): Promise<ActionResult<{ to: string }>> {
  const parsed = loginSchema.safeParse(values);
  if (!parsed.success) return { ok: false, error: { code: "invalid", message: "Check the form.", fields: {} } };
  return attempt(async () => {
    const tokens = await call<Tokens>("/api/auth/login", { method: "POST", body: parsed.data, token: null });
    await setSession(tokens);
    const wanted = safeNext(next);
    const role = tokens.user.role;
    // A trader must not be sent on to an admin page they came from.
    const to = wanted && !(wanted.startsWith("/admin") && role !== "admin") ? wanted : homeFor(role);
    return { to };
  });
}

export async function registerAction(values: RegisterValues): Promise<ActionResult<{ to: string }>> {
  const parsed = registerSchema.safeParse(values);
  if (!parsed.success) return { ok: false, error: { code: "invalid", message: "Check the form.", fields: {} } };
  const { email, password } = parsed.data;
  return attempt(async () => {
    await call("/api/auth/register", { method: "POST", body: { email, password }, token: null });
    const tokens = await call<Tokens>("/api/auth/login", { method: "POST", body: { email, password }, token: null });
    await setSession(tokens);
    return { to: "/brokers?welcome=1" };
  });
}

export async function logoutAction(): Promise<void> {
  const refresh = (await cookies()).get(REFRESH_COOKIE)?.value;
  if (refresh) {
    // Revoke at the backend (blacklists the refresh token, revokes the access token).
    await call("/api/auth/logout", { method: "POST", body: { refresh } }).catch(() => undefined);
  }
  await clearSession();
  redirect("/login?reason=signed-out");
}
