import { describe, expect, it } from "vitest";

import { adminUserSchema, backtestBody, backtestSchema, brokerConnectSchema, killSwitchSchema, loginSchema, normaliseTime, registerSchema, strategySchema } from "@/lib/schemas";

const strategy = {
  name: "TCS morning",
  symbol: "tcs",
  exchange: "NSE" as const,
  quantity: "5",
  buy_time: "09:20",
  sell_time: "15:10:30",
  stop_loss: "3500.5",
  product: "MIS" as const,
  broker_account: "3",
  days: [0, 1, 2, 3, 4],
};

describe("strategySchema", () => {
  it("normalises the values into the API's shape", () => {
    const v = strategySchema.parse(strategy);
    expect(v).toMatchObject({ symbol: "TCS", quantity: 5, buy_time: "09:20:00", sell_time: "15:10:30", stop_loss: "3500.5", broker_account: 3 });
  });

  it("names the offending fields", () => {
    const r = strategySchema.safeParse({ ...strategy, name: " ", quantity: "0", stop_loss: "12.345", buy_time: "25:00", days: [] });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["name", "quantity", "stop_loss", "buy_time", "days"]));
  });

  it("wants the sell after the buy", () => {
    const r = strategySchema.safeParse({ ...strategy, buy_time: "15:00:00", sell_time: "14:59:59" });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(["sell_time"]);
  });

  it("refuses a zero stop-loss and odd symbols", () => {
    expect(strategySchema.safeParse({ ...strategy, stop_loss: "0" }).success).toBe(false);
    expect(strategySchema.safeParse({ ...strategy, symbol: "TCS;DROP" }).success).toBe(false);
    expect(strategySchema.safeParse({ ...strategy, symbol: "m&m" }).success).toBe(true);
  });
});

describe("auth schemas", () => {
  it("login needs a valid email and a password", () => {
    expect(loginSchema.safeParse({ email: "a@b.co", password: "x" }).success).toBe(true);
    expect(loginSchema.safeParse({ email: "nope", password: "x" }).success).toBe(false);
    expect(loginSchema.safeParse({ email: "a@b.co", password: "" }).success).toBe(false);
  });

  it("register wants matching passwords of 8+ characters", () => {
    expect(registerSchema.safeParse({ email: "a@b.co", password: "longenough", confirm: "longenough" }).success).toBe(true);
    const r = registerSchema.safeParse({ email: "a@b.co", password: "longenough", confirm: "different" });
    expect(r.error!.issues[0].path).toEqual(["confirm"]);
    expect(registerSchema.safeParse({ email: "a@b.co", password: "short", confirm: "short" }).success).toBe(false);
  });
});

describe("brokerConnectSchema", () => {
  const fields = [
    { name: "api_key", label: "API key", required: true, secret: false },
    { name: "access_token", label: "Access token", required: false, secret: true },
  ];
  it("requires the broker's required credentials only", () => {
    const s = brokerConnectSchema(fields);
    expect(s.safeParse({ broker: "zerodha", label: "", credentials: { api_key: "k", access_token: "" } }).success).toBe(true);
    const r = s.safeParse({ broker: "zerodha", label: "", credentials: { api_key: " ", access_token: "" } });
    expect(r.error!.issues[0].path).toEqual(["credentials", "api_key"]);
  });
});

describe("backtest, kill switch and admin user schemas", () => {
  it("builds the backtest body from the form", () => {
    const v = backtestSchema.parse({ source: "random", symbol: "infy", start: "", end: "", buy_time: "09:20", sell_time: "15:10", stop_loss: "1400", quantity: "10", seed: "7", csv: "" });
    expect(backtestBody(v)).toEqual({ source: "random", symbol: "INFY", buy_time: "09:20:00", sell_time: "15:10:00", stop_loss: "1400", quantity: 10, seed: 7 });
    const up = backtestSchema.safeParse({ source: "upload", symbol: "", start: "", end: "", buy_time: "09:20", sell_time: "15:10", stop_loss: "1", quantity: "1", seed: "", csv: "" });
    expect(up.error!.issues.map((i) => i.path.join("."))).toContain("csv");
  });

  it("a non-global kill switch needs a target", () => {
    expect(killSwitchSchema.safeParse({ scope: "global", target: "", reason: "x", square_off: false }).success).toBe(true);
    expect(killSwitchSchema.safeParse({ scope: "broker", target: "", reason: "x", square_off: false }).success).toBe(false);
    expect(killSwitchSchema.safeParse({ scope: "global", target: "", reason: " ", square_off: false }).success).toBe(false);
  });

  it("broker staff need their broker", () => {
    expect(adminUserSchema.safeParse({ email: "s@b.co", password: "12345678x", role: "broker", broker: "" }).success).toBe(false);
    expect(adminUserSchema.safeParse({ email: "s@b.co", password: "12345678x", role: "broker", broker: "zerodha" }).success).toBe(true);
  });

  it("normaliseTime pads HH:MM", () => {
    expect(normaliseTime("09:15")).toBe("09:15:00");
    expect(normaliseTime("09:15:07")).toBe("09:15:07");
  });
});
