import { describe, expect, it } from "vitest";

import { ApiError, applyFieldErrors, parseErrorBody } from "@/lib/api-error";

describe("parseErrorBody", () => {
  it("reads the backend's error shape", () => {
    const body = { error: { code: "invalid", message: "Invalid strategy: symbol.", fields: { symbol: ["Unknown symbol 'NOPE' on NSE."] } } };
    expect(parseErrorBody(400, body)).toEqual({ code: "invalid", message: "Invalid strategy: symbol.", fields: { symbol: ["Unknown symbol 'NOPE' on NSE."] } });
  });

  it("flattens nested field errors to dotted paths", () => {
    const body = { error: { code: "invalid", message: "Credentials are incomplete.", fields: { credentials: { api_key: ["Required."] }, label: "Too long." } } };
    expect(parseErrorBody(400, body).fields).toEqual({ "credentials.api_key": ["Required."], label: ["Too long."] });
  });

  it("accepts DRF's plain detail and anything else with a generic message", () => {
    expect(parseErrorBody(403, { detail: "Nope." })).toEqual({ code: "error", message: "Nope.", fields: {} });
    expect(parseErrorBody(502, "<html>bad gateway</html>")).toMatchObject({ code: "server_error", fields: {} });
    expect(parseErrorBody(429, null).message).toMatch(/too many/i);
    expect(parseErrorBody(400, { error: { code: "x" } }).message).toBe("The request was not valid.");
  });

  it("ApiError serialises for server actions", () => {
    const err = new ApiError(404, { code: "not_found", message: "Not found.", fields: {} });
    expect(err.toJSON()).toEqual({ status: 404, code: "not_found", message: "Not found.", fields: {} });
  });
});

describe("applyFieldErrors", () => {
  function recorder() {
    const calls: { name: string; message: string; focus?: boolean }[] = [];
    const setError = (name: string, e: { message: string }, o?: { shouldFocus?: boolean }) => calls.push({ name, message: e.message, focus: o?.shouldFocus });
    return { calls, setError };
  }

  it("puts each API field error on the form field of the same name, focusing the first", () => {
    const { calls, setError } = recorder();
    const message = applyFieldErrors(setError, { code: "invalid", message: "Invalid input: buy_time, name.", fields: { name: ["This field may not be blank."], buy_time: ["Wrong format.", "Use hh:mm:ss."] } }, ["name", "buy_time", "sell_time"]);
    expect(calls).toEqual([
      { name: "name", message: "This field may not be blank.", focus: true },
      { name: "buy_time", message: "Wrong format. Use hh:mm:ss.", focus: false },
    ]);
    expect(message).toBe("Invalid input: buy_time, name.");
  });

  it("maps nested keys to the nested input, or to its parent", () => {
    const { calls, setError } = recorder();
    applyFieldErrors(setError, { code: "invalid", message: "m", fields: { "credentials.api_key": ["Required."], "credentials.pin": ["Bad."] } }, ["credentials", "credentials.api_key"]);
    expect(calls.map((c) => c.name)).toEqual(["credentials.api_key", "credentials"]);
  });

  it("returns what it could not place on a field", () => {
    const { calls, setError } = recorder();
    const message = applyFieldErrors(setError, { code: "invalid", message: "Invalid.", fields: { non_field_errors: ["Both times are equal."], surprise: ["Odd."] } }, ["name"]);
    expect(calls).toEqual([]);
    expect(message).toBe("Invalid. Both times are equal. surprise: Odd.");
  });
});
