/**
 * Every request passes here (Node.js runtime):
 * 1. Keep the session fresh: when the access cookie is missing or about to expire and the
 *    refresh cookie is valid, rotate the pair at POST /api/auth/refresh (once per refresh
 *    token, shared by concurrent requests) and hand the new cookies both to the browser and to
 *    this request, so server components already see the new access token.
 * 2. Route guard (UX; the backend's role policy is the real one): signed-out visitors go to
 *    /login, a signed-in user is sent away from areas of other roles (a trader opening
 *    /admin lands on /dashboard?denied=1).
 */
import { type NextRequest, NextResponse } from "next/server";

import { env } from "@/lib/env";
import {
  ACCESS_COOKIE,
  REFRESH_COOKIE,
  allowedRoles,
  createRefresher,
  decodeJwt,
  homeFor,
  isPublicPath,
  sessionCookies,
  sameHostUrl,
  sessionState,
} from "@/lib/session-core";

let refresher: ReturnType<typeof createRefresher> | undefined;

function withCookies(res: NextResponse, cookies: ReturnType<typeof sessionCookies> | "clear"): NextResponse {
  if (cookies === "clear") {
    res.cookies.delete(ACCESS_COOKIE);
    res.cookies.delete(REFRESH_COOKIE);
  } else {
    for (const c of cookies) res.cookies.set(c);
  }
  return res;
}

export async function middleware(req: NextRequest): Promise<NextResponse> {
  const { pathname, search } = req.nextUrl;
  const urlFor = (path: string) => sameHostUrl(path, req.url, req.headers.get("host"), req.headers.get("x-forwarded-proto"));
  if (pathname.startsWith("/_next/") || pathname === "/favicon.ico") return NextResponse.next();

  let access = req.cookies.get(ACCESS_COOKIE)?.value;
  const refresh = req.cookies.get(REFRESH_COOKIE)?.value;
  let newCookies: ReturnType<typeof sessionCookies> | "clear" | null = null;

  if (sessionState(access, refresh) === "refresh" && refresh) {
    refresher ??= createRefresher(env().BACKEND_URL);
    const outcome = await refresher(refresh);
    if (outcome.kind === "ok") {
      newCookies = sessionCookies(outcome.pair, env().COOKIE_SECURE);
      access = outcome.pair.access;
    } else if (outcome.kind === "rejected") {
      newCookies = "clear";
      access = undefined;
    }
    // "unavailable": the backend is down; keep what we have, the page shows the error.
  }
  if (newCookies === null && access && sessionState(access, refresh) === "anonymous") {
    newCookies = "clear";
    access = undefined;
  }

  const claims = decodeJwt(access);
  const signedIn = claims !== null && claims.exp * 1000 > Date.now();

  // Pass the fresh access token and the path to server components via the request headers.
  const headers = new Headers(req.headers);
  headers.set("x-pathname", pathname + search);
  if (newCookies && newCookies !== "clear") {
    const jar = req.cookies;
    for (const c of newCookies) jar.set(c.name, c.value);
    headers.set("cookie", jar.toString());
  } else if (newCookies === "clear") {
    req.cookies.delete(ACCESS_COOKIE);
    req.cookies.delete(REFRESH_COOKIE);
    headers.set("cookie", req.cookies.toString());
  }

  if (pathname.startsWith("/api/")) {
    // Our own route handlers (the SSE proxy) answer 401 themselves.
    return withCookies(NextResponse.next({ request: { headers } }), newCookies ?? []);
  }

  if (isPublicPath(pathname)) {
    if (signedIn && (pathname === "/login" || pathname === "/register")) {
      const next = req.nextUrl.searchParams.get("next");
      const target = next && next.startsWith("/") && !next.startsWith("//") ? next : homeFor(claims?.role);
      return withCookies(NextResponse.redirect(urlFor(target)), newCookies ?? []);
    }
    return withCookies(NextResponse.next({ request: { headers } }), newCookies ?? []);
  }

  if (!signedIn) {
    const url = urlFor("/login");
    if (pathname !== "/") url.searchParams.set("next", pathname + search);
    return withCookies(NextResponse.redirect(url), newCookies ?? "clear");
  }

  if (pathname === "/") return withCookies(NextResponse.redirect(urlFor(homeFor(claims?.role))), newCookies ?? []);

  const roles = allowedRoles(pathname);
  if (roles && !(claims?.role && roles.includes(claims.role))) {
    const url = urlFor(homeFor(claims?.role));
    url.searchParams.set("denied", pathname);
    return withCookies(NextResponse.redirect(url), newCookies ?? []);
  }

  return withCookies(NextResponse.next({ request: { headers } }), newCookies ?? []);
}

export const config = {
  runtime: "nodejs",
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
