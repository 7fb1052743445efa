/**
 * The session: the backend's JWT pair lives in two httpOnly cookies; nothing in the browser's
 * JavaScript can read them. This file is pure (no Next imports) so it is unit tested and shared
 * by the middleware, route handlers and server actions.
 */

export const ACCESS_COOKIE = "at_access";
export const REFRESH_COOKIE = "at_refresh";
/** Refresh when the access token has less than this many seconds left. */
export const REFRESH_SKEW_SECONDS = 60;

export type Role = "admin" | "user" | "broker";

export interface TokenClaims {
  exp: number;
  user_id: string;
  role?: Role;
  token_type?: string;
}

export interface TokenPair {
  access: string;
  refresh: string;
}

function base64UrlDecode(part: string): string {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  return new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
}

/** The payload of a JWT, unverified (the backend verifies; we only read exp and role). */
export function decodeJwt(token: string | undefined | null): TokenClaims | null {
  if (!token) return null;
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(base64UrlDecode(parts[1])) as Partial<TokenClaims>;
    if (typeof claims.exp !== "number") return null;
    return { ...claims, user_id: String(claims.user_id ?? ""), exp: claims.exp } as TokenClaims;
  } catch {
    return null;
  }
}

export function secondsLeft(token: string | undefined | null, nowMs: number = Date.now()): number {
  const claims = decodeJwt(token);
  return claims ? claims.exp - Math.floor(nowMs / 1000) : -Infinity;
}

/** What the middleware must do with the cookies it got. */
export type SessionState = "valid" | "refresh" | "anonymous";

export function sessionState(access: string | undefined, refresh: string | undefined, nowMs: number = Date.now()): SessionState {
  if (secondsLeft(access, nowMs) > REFRESH_SKEW_SECONDS) return "valid";
  if (secondsLeft(refresh, nowMs) > 0) return "refresh";
  return secondsLeft(access, nowMs) > 0 ? "valid" : "anonymous";
}

export interface CookieSpec {
  name: string;
  value: string;
  httpOnly: true;
  sameSite: "lax";
  secure: boolean;
  path: "/";
  maxAge: number;
}

/** The two cookies of a token pair; each lives exactly as long as its token. */
export function sessionCookies(pair: TokenPair, secure: boolean, nowMs: number = Date.now()): CookieSpec[] {
  return [
    { name: ACCESS_COOKIE, value: pair.access, maxAge: Math.max(1, secondsLeft(pair.access, nowMs)), httpOnly: true, sameSite: "lax", secure, path: "/" },
    { name: REFRESH_COOKIE, value: pair.refresh, maxAge: Math.max(1, secondsLeft(pair.refresh, nowMs)), httpOnly: true, sameSite: "lax", secure, path: "/" },
  ];
}

export type RefreshOutcome =
  | { kind: "ok"; pair: TokenPair }
  | { kind: "rejected" } // the refresh token is invalid, expired or blacklisted: sign in again
  | { kind: "unavailable"; message: string }; // backend down: keep the cookies, try later

type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/**
 * A refresher that calls POST {backend}/api/auth/refresh at most once per refresh token.
 *
 * The backend rotates refresh tokens and blacklists the old one, so two requests refreshing
 * the same token at once would log the user out: the second would present a blacklisted
 * token. Concurrent callers share one in-flight call, and the result is remembered for
 * `rememberMs`, so a burst of requests (page + prefetches + SSE reconnect) that still carry
 * the old cookie all get the same new pair.
 */
export function createRefresher(backendUrl: string, fetchImpl: FetchLike = fetch, rememberMs = 30_000) {
  const recent = new Map<string, { at: number; outcome: Promise<RefreshOutcome> }>();

  async function call(refresh: string): Promise<RefreshOutcome> {
    let res: Response;
    try {
      res = await fetchImpl(`${backendUrl}/api/auth/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ refresh }),
        cache: "no-store",
      });
    } catch (err) {
      return { kind: "unavailable", message: err instanceof Error ? err.message : String(err) };
    }
    if (res.status >= 500 || res.status === 429) return { kind: "unavailable", message: `refresh answered ${res.status}` };
    if (!res.ok) return { kind: "rejected" };
    const body = (await res.json().catch(() => null)) as Partial<TokenPair> | null;
    if (!body?.access || !body.refresh) return { kind: "unavailable", message: "refresh answered without tokens" };
    return { kind: "ok", pair: { access: body.access, refresh: body.refresh } };
  }

  return function refreshOnce(refresh: string, nowMs: number = Date.now()): Promise<RefreshOutcome> {
    for (const [key, entry] of recent) if (nowMs - entry.at > rememberMs) recent.delete(key);
    const hit = recent.get(refresh);
    if (hit) return hit.outcome;
    const outcome = call(refresh).then((o) => {
      // Forget failures of the "try again" kind at once; remember success and rejection.
      if (o.kind === "unavailable") recent.delete(refresh);
      return o;
    });
    recent.set(refresh, { at: nowMs, outcome });
    return outcome;
  };
}

export function homeFor(role: Role | undefined): string {
  if (role === "admin") return "/admin/system";
  if (role === "broker") return "/broker-desk";
  return "/dashboard";
}

/** Paths a signed-out visitor may open. */
export function isPublicPath(pathname: string): boolean {
  return pathname === "/login" || pathname === "/register" || pathname.startsWith("/_next/") || pathname === "/favicon.ico" || pathname === "/healthz";
}

/** Which roles may open a path (UI guard; the backend's role policy is the real one). */
export function allowedRoles(pathname: string): readonly Role[] | null {
  if (pathname === "/admin" || pathname.startsWith("/admin/")) return ["admin"];
  if (pathname === "/broker-desk" || pathname.startsWith("/broker-desk/")) return ["admin", "broker"];
  const traderAreas = ["/dashboard", "/strategies", "/brokers", "/playground"];
  if (traderAreas.some((p) => pathname === p || pathname.startsWith(`${p}/`))) return ["admin", "user"];
  return null; // any signed-in user (profile, home)
}

/**
 * An absolute URL on the host the browser used (the Host header), so a redirect never moves
 * the user from 127.0.0.1 to localhost, where their cookies are not sent.
 */
export function sameHostUrl(path: string, requestUrl: string, host: string | null, forwardedProto: string | null): URL {
  if (!host) return new URL(path, requestUrl);
  const proto = forwardedProto ? `${forwardedProto.split(",")[0].trim()}:` : new URL(requestUrl).protocol;
  return new URL(path, `${proto}//${host}`);
}
