import "server-only";

import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";

import { ApiError, type ApiErrorBody, parseErrorBody } from "@/lib/api-error";
import { env } from "@/lib/env";
import { ACCESS_COOKIE, REFRESH_COOKIE, createRefresher, sessionCookies, type TokenPair } from "@/lib/session-core";

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface CallOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  query?: Query;
  /** Bearer token; default: the session's access cookie. `null`: a guest call. */
  token?: string | null;
  signal?: AbortSignal;
}

let refresher: ReturnType<typeof createRefresher> | undefined;
export function refreshTokens(refresh: string) {
  refresher ??= createRefresher(env().BACKEND_URL);
  return refresher(refresh);
}

export function backendUrl(path: string, query?: Query): string {
  const url = new URL(`${env().BACKEND_URL}${path}`);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
  }
  return url.toString();
}

async function accessToken(): Promise<string | undefined> {
  return (await cookies()).get(ACCESS_COOKIE)?.value;
}

/** One call to the Django API. Throws ApiError (with the API's code, message and fields). */
export async function call<T>(path: string, opts: CallOptions = {}): Promise<T> {
  const token = opts.token === undefined ? await accessToken() : opts.token;
  const init: RequestInit = {
    method: opts.method ?? "GET",
    headers: {
      accept: "application/json",
      ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    cache: "no-store",
    signal: opts.signal,
  };
  let res: Response;
  try {
    res = await fetch(backendUrl(path, opts.query), init);
  } catch (err) {
    throw new ApiError(503, {
      code: "backend_unreachable",
      message: `The trading server is not reachable (${err instanceof Error ? err.message : "network error"}).`,
      fields: {},
    });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) throw new ApiError(res.status, parseErrorBody(res.status, body));
  return body as T;
}

export type Loaded<T> = { ok: true; data: T } | { ok: false; error: ApiErrorBody & { status: number } };

/**
 * For pages (server components): the data, or the error to render in place. A 401 means the
 * session is gone (revoked, suspended): back to the login page.
 */
export async function load<T>(path: string, opts: CallOptions = {}): Promise<Loaded<T>> {
  try {
    return { ok: true, data: await call<T>(path, opts) };
  } catch (err) {
    if (err instanceof ApiError) {
      if (err.status === 401) {
        const from = (await headers()).get("x-pathname") ?? "/";
        redirect(`/api/session/end?next=${encodeURIComponent(from)}`);
      }
      return { ok: false, error: err.toJSON() };
    }
    throw err;
  }
}

/** Store a fresh token pair (server actions and route handlers only). */
export async function setSession(pair: TokenPair): Promise<void> {
  const jar = await cookies();
  for (const c of sessionCookies(pair, env().COOKIE_SECURE)) jar.set(c);
}

export async function clearSession(): Promise<void> {
  const jar = await cookies();
  jar.delete(ACCESS_COOKIE);
  jar.delete(REFRESH_COOKIE);
}

/**
 * For server actions: call, and when the access token was refused, refresh once (the pair is
 * rotated and stored) and call again.
 */
export async function callWithRefresh<T>(path: string, opts: CallOptions = {}): Promise<T> {
  try {
    return await call<T>(path, opts);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401 || opts.token !== undefined) throw err;
    const refresh = (await cookies()).get(REFRESH_COOKIE)?.value;
    if (!refresh) throw err;
    const outcome = await refreshTokens(refresh);
    if (outcome.kind !== "ok") {
      if (outcome.kind === "rejected") await clearSession();
      throw err;
    }
    await setSession(outcome.pair);
    return call<T>(path, { ...opts, token: outcome.pair.access });
  }
}
