import "server-only";

import { cache } from "react";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";

import { ACCESS_COOKIE, decodeJwt, homeFor, type Role } from "@/lib/session-core";
import type { Me } from "@/lib/types";

import { ApiError } from "@/lib/api-error";

import { call } from "./backend";

/** The signed-in user, read from the backend once per request (GET /api/me). */
export const currentUser = cache(async (): Promise<Me | null> => {
  const token = (await cookies()).get(ACCESS_COOKIE)?.value;
  if (!decodeJwt(token)) return null;
  try {
    return await call<Me>("/api/me", { token });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return null;
    throw err;
  }
});

/** The user, or a redirect to the login page (layouts of the signed-in areas). */
export async function requireUser(roles?: readonly Role[]): Promise<Me> {
  const me = await currentUser();
  if (!me) {
    // Signed in as far as the cookie goes, but the backend refuses the token: end the session.
    const from = (await headers()).get("x-pathname") ?? "/";
    redirect(`/api/session/end?next=${encodeURIComponent(from)}`);
  }
  if (roles && !roles.includes(me.role)) redirect(`${homeFor(me.role)}?denied=1`);
  return me;
}
