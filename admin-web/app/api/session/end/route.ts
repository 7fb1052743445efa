/**
 * GET /api/session/end?next=/path: the backend refused our token (revoked, user suspended):
 * drop the session cookies and go to the login page. Server components cannot change cookies,
 * so they redirect here.
 */
import { type NextRequest, NextResponse } from "next/server";

import { ACCESS_COOKIE, REFRESH_COOKIE, sameHostUrl } from "@/lib/session-core";

export const dynamic = "force-dynamic";

export function GET(req: NextRequest): NextResponse {
  const next = req.nextUrl.searchParams.get("next");
  const url = sameHostUrl("/login", req.url, req.headers.get("host"), req.headers.get("x-forwarded-proto"));
  url.searchParams.set("reason", "expired");
  if (next && next.startsWith("/") && !next.startsWith("//")) url.searchParams.set("next", next);
  const res = NextResponse.redirect(url);
  res.cookies.delete(ACCESS_COOKIE);
  res.cookies.delete(REFRESH_COOKIE);
  return res;
}
