import { describe, expect, it, vi } from "vitest";

import { parseEnv } from "@/lib/env";
import { allowedRoles, createRefresher, decodeJwt, homeFor, isPublicPath, sameHostUrl, secondsLeft, sessionCookies, sessionState } from "@/lib/session-core";

const NOW = 1_800_000_000_000;

function jwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${enc({ alg: "HS256", typ: "JWT" })}.${enc(claims)}.sig`;
}
const at = (secondsFromNow: number, extra: Record<string, unknown> = {}) => jwt({ exp: Math.floor(NOW / 1000) + secondsFromNow, user_id: "7", role: "user", ...extra });

describe("tokens", () => {
  it("decodes the claims the app needs", () => {
    expect(decodeJwt(at(100, { role: "admin" }))).toMatchObject({ user_id: "7", role: "admin" });
    expect(decodeJwt("garbage")).toBeNull();
    expect(decodeJwt(undefined)).toBeNull();
    expect(secondsLeft(at(100), NOW)).toBe(100);
  });

  it("decides when to refresh", () => {
    expect(sessionState(at(300), at(9999), NOW)).toBe("valid");
    expect(sessionState(at(30), at(9999), NOW)).toBe("refresh"); // about to expire
    expect(sessionState(undefined, at(9999), NOW)).toBe("refresh"); // access cookie gone
    expect(sessionState(at(30), undefined, NOW)).toBe("valid"); // no refresh token: use it while it lasts
    expect(sessionState(at(-5), at(-1), NOW)).toBe("anonymous");
    expect(sessionState(undefined, undefined, NOW)).toBe("anonymous");
  });

  it("cookies are httpOnly and live as long as their token", () => {
    const [access, refresh] = sessionCookies({ access: at(300), refresh: at(7 * 86400) }, true, NOW);
    expect(access).toMatchObject({ name: "at_access", httpOnly: true, sameSite: "lax", secure: true, path: "/", maxAge: 300 });
    expect(refresh).toMatchObject({ name: "at_refresh", httpOnly: true, maxAge: 7 * 86400 });
  });
});

describe("createRefresher", () => {
  const ok = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

  it("calls the backend once for concurrent requests with the same refresh token", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fetchImpl = vi.fn(async () => {
      await gate;
      return ok({ access: "A2", refresh: "R2" });
    });
    const refresh = createRefresher("http://api", fetchImpl);
    const all = Promise.all([refresh("R1", NOW), refresh("R1", NOW + 5), refresh("R1", NOW + 10)]);
    release();
    const results = await all;
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    expect(fetchImpl.mock.calls[0]).toEqual(["http://api/api/auth/refresh", expect.objectContaining({ method: "POST", body: JSON.stringify({ refresh: "R1" }) })]);
    for (const r of results) expect(r).toEqual({ kind: "ok", pair: { access: "A2", refresh: "R2" } });
    // Later requests still carrying the rotated-away token get the same pair, not a logout.
    expect(await refresh("R1", NOW + 20_000)).toEqual({ kind: "ok", pair: { access: "A2", refresh: "R2" } });
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });

  it("forgets a result after a while", async () => {
    const fetchImpl = vi.fn(async () => ok({ access: "A", refresh: "R" }));
    const refresh = createRefresher("http://api", fetchImpl, 1000);
    await refresh("R1", NOW);
    await refresh("R1", NOW + 5000);
    expect(fetchImpl).toHaveBeenCalledTimes(2);
  });

  it("a refused refresh token means sign in again; a down backend means try later", async () => {
    const rejected = createRefresher("http://api", async () => ok({ error: { code: "token_not_valid" } }, 401));
    expect(await rejected("R1")).toEqual({ kind: "rejected" });
    const down = vi.fn(async (): Promise<Response> => {
      throw new TypeError("fetch failed");
    });
    const refreshDown = createRefresher("http://api", down);
    expect((await refreshDown("R1")).kind).toBe("unavailable");
    expect((await refreshDown("R1")).kind).toBe("unavailable");
    expect(down).toHaveBeenCalledTimes(2); // not remembered: retried
    const busy = createRefresher("http://api", async () => ok({}, 503));
    expect((await busy("R1")).kind).toBe("unavailable");
  });
});

describe("route guard", () => {
  it("sends each role home", () => {
    expect(homeFor("admin")).toBe("/admin/system");
    expect(homeFor("broker")).toBe("/broker-desk");
    expect(homeFor("user")).toBe("/dashboard");
  });

  it("keeps the admin area for admins", () => {
    expect(allowedRoles("/admin")).toEqual(["admin"]);
    expect(allowedRoles("/admin/users")).toEqual(["admin"]);
    expect(allowedRoles("/administrator")).toBeNull();
    expect(allowedRoles("/strategies/4")).toEqual(["admin", "user"]);
    expect(allowedRoles("/broker-desk")).toEqual(["admin", "broker"]);
    expect(allowedRoles("/profile")).toBeNull();
    expect(isPublicPath("/login")).toBe(true);
    expect(isPublicPath("/dashboard")).toBe(false);
  });

  it("redirects stay on the host the browser used", () => {
    expect(sameHostUrl("/login", "http://localhost:3000/x", "127.0.0.1:3000", null).toString()).toBe("http://127.0.0.1:3000/login");
    expect(sameHostUrl("/a?b=1", "http://localhost:3000/x", "example.in", "https").toString()).toBe("https://example.in/a?b=1");
  });
});

describe("env", () => {
  it("validates BACKEND_URL", () => {
    expect(parseEnv({}).BACKEND_URL).toBe("http://127.0.0.1:8000");
    expect(parseEnv({ BACKEND_URL: "http://10.1.2.3:9000/" }).BACKEND_URL).toBe("http://10.1.2.3:9000");
    expect(() => parseEnv({ BACKEND_URL: "not a url" })).toThrow(/BACKEND_URL/);
    expect(() => parseEnv({ BACKEND_URL: "ftp://x" })).toThrow(/BACKEND_URL/);
    expect(parseEnv({ COOKIE_SECURE: "true" }).COOKIE_SECURE).toBe(true);
  });
});
