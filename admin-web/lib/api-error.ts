/** The backend's error shape: {"error": {"code", "message", "fields": {field: [messages]}}}. */
export type FieldErrors = Record<string, string[]>;

export interface ApiErrorBody {
  code: string;
  message: string;
  fields: FieldErrors;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldErrors;

  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = "ApiError";
    this.status = status;
    this.code = body.code;
    this.fields = body.fields;
  }

  toJSON(): ApiErrorBody & { status: number } {
    return { status: this.status, code: this.code, message: this.message, fields: this.fields };
  }
}

const GENERIC: Record<number, string> = {
  400: "The request was not valid.",
  401: "Your session has ended. Please sign in again.",
  403: "You do not have access to this.",
  404: "Not found.",
  409: "That conflicts with the current state.",
  413: "That upload is too large.",
  429: "Too many requests. Wait a moment and try again.",
};

function asFieldErrors(value: unknown): FieldErrors {
  if (!value || typeof value !== "object" || Array.isArray(value)) return {};
  const out: FieldErrors = {};
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    if (Array.isArray(raw)) out[key] = raw.map(String);
    else if (typeof raw === "string") out[key] = [raw];
    else if (raw && typeof raw === "object") {
      // Nested serializer errors: {"credentials": {"api_key": ["..."]}} -> "credentials.api_key".
      for (const [sub, msgs] of Object.entries(asFieldErrors(raw))) out[`${key}.${sub}`] = msgs;
    }
  }
  return out;
}

/** Normalise any error reply (ours, DRF's plain {"detail"}, HTML from a proxy) into ApiErrorBody. */
export function parseErrorBody(status: number, body: unknown): ApiErrorBody {
  const fallback = GENERIC[status] ?? (status >= 500 ? "The server had a problem. Try again shortly." : `Request failed (${status}).`);
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    if (b.error && typeof b.error === "object") {
      const e = b.error as Record<string, unknown>;
      return {
        code: typeof e.code === "string" ? e.code : "error",
        message: typeof e.message === "string" && e.message ? e.message : fallback,
        fields: asFieldErrors(e.fields),
      };
    }
    if (typeof b.detail === "string") return { code: "error", message: b.detail, fields: {} };
  }
  return { code: status >= 500 ? "server_error" : "error", message: fallback, fields: {} };
}

export type SetError = (name: string, error: { type: string; message: string }, options?: { shouldFocus?: boolean }) => void;

/**
 * Put the API's field errors on the form's fields ("credentials.api_key" on that nested
 * input, or on "credentials" when the form has no such input). Returns the form-level
 * message: the API's message plus whatever could not be placed on a field.
 */
export function applyFieldErrors(setError: SetError, error: ApiErrorBody, knownFields: readonly string[]): string {
  const known = new Set(knownFields);
  const leftovers: string[] = [];
  let focused = false;
  const place = (name: string, text: string) => {
    setError(name, { type: "server", message: text }, { shouldFocus: !focused });
    focused = true;
  };
  for (const [field, messages] of Object.entries(error.fields)) {
    const text = messages.join(" ");
    if (known.has(field)) place(field, text);
    else if (field === "non_field_errors" || field === "detail") leftovers.push(text);
    else if (known.has(field.split(".")[0])) place(field.split(".")[0], text);
    else leftovers.push(`${field}: ${text}`);
  }
  return [error.message, ...leftovers].join(" ");
}

/** The result of a server action: data, or the API's error to show on the form. */
export type ActionResult<T = undefined> = { ok: true; data: T } | { ok: false; error: ApiErrorBody & { status?: number } };
