import "server-only";

import { ApiError, type ActionResult } from "@/lib/api-error";

/** Run an API mutation for a server action: data, or the API's error as plain JSON. */
export async function attempt<T>(fn: () => Promise<T>): Promise<ActionResult<T>> {
  try {
    return { ok: true, data: await fn() };
  } catch (err) {
    if (err instanceof ApiError) return { ok: false, error: err.toJSON() };
    console.error("server action failed", err);
    return { ok: false, error: { code: "error", message: "Something went wrong. Try again.", fields: {} } };
  }
}
