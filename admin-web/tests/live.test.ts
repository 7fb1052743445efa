import { describe, expect, it } from "vitest";

import { applyEvent, emptyLiveState, parseEvent, positionAfter } from "@/lib/live";

describe("positionAfter (the backend's position_of, one leg at a time)", () => {
  it.each([
    ["ENTRY", "NEW", "ENTERING"],
    ["ENTRY", "SUBMITTING", "ENTERING"],
    ["ENTRY", "FILLED", "LONG"],
    ["ENTRY", "REJECTED", "FLAT"],
    ["EXIT", "SUBMITTING", "EXITING"],
    ["EXIT", "FILLED", "CLOSED"],
    ["EXIT", "FAILED", "LONG"],
  ])("%s %s -> %s", (leg, status, position) => {
    expect(positionAfter({ leg, status })).toBe(position);
  });
});

describe("applyEvent", () => {
  it("an order event sets the strategy's position and last action", () => {
    const s = applyEvent(emptyLiveState, { type: "order", strategy_id: 4, id: 9, side: "BUY", leg: "ENTRY", status: "FILLED", price: "3150.00" }, 1000);
    expect(s.strategies[4]).toMatchObject({ position: "LONG", lastAction: "BUY FILLED", updatedAt: 1000 });
    expect(s.revision).toBe(1);
  });

  it("a strategy event sets the status and keeps the position", () => {
    let s = applyEvent(emptyLiveState, { type: "order", strategy_id: 4, id: 9, side: "BUY", leg: "ENTRY", status: "FILLED" }, 1);
    s = applyEvent(s, { type: "strategy", id: 4, status: "STOPPED", reason: "Kill switch #1 (global): halt" }, 2);
    expect(s.strategies[4]).toMatchObject({ status: "STOPPED", reason: "Kill switch #1 (global): halt", position: "LONG" });
    expect(s.revision).toBe(2);
  });

  it("prices merge; heartbeats only touch the clock", () => {
    let s = applyEvent(emptyLiveState, { type: "prices", prices: { TCS: "1.00", INFY: "2.00" } }, 1);
    s = applyEvent(s, { type: "prices", prices: { TCS: "1.50" } }, 2);
    expect(s.prices).toEqual({ TCS: "1.50", INFY: "2.00" });
    const h = applyEvent(s, { type: "heartbeat" }, 3);
    expect(h.revision).toBe(s.revision);
    expect(h.lastEventAt).toBe(3);
  });

  it("parseEvent takes the SSE event name when the data has no type", () => {
    expect(parseEvent("heartbeat", "{}")).toEqual({ type: "heartbeat" });
    expect(parseEvent("order", '{"type":"order","strategy_id":1}')).toMatchObject({ type: "order", strategy_id: 1 });
    expect(parseEvent("x", "not json")).toBeNull();
  });
});
