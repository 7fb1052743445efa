import { z } from "zod";

/** Server-side environment, validated once. BACKEND_URL is the Django API (no trailing slash). */
const EnvSchema = z.object({
  BACKEND_URL: z
    .url({ message: "BACKEND_URL must be an http(s) URL, e.g. http://127.0.0.1:8000" })
    .refine((u) => /^https?:\/\//.test(u), "BACKEND_URL must start with http:// or https://")
    .default("http://127.0.0.1:8000")
    .transform((u) => u.replace(/\/+$/, "")),
  // Secure cookies need https; default on in production unless the app is served on plain http.
  COOKIE_SECURE: z
    .enum(["true", "false", "1", "0", ""])
    .default("")
    .transform((v) => v === "true" || v === "1"),
});

export type Env = z.infer<typeof EnvSchema>;

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = EnvSchema.safeParse({
    BACKEND_URL: source.BACKEND_URL || undefined,
    COOKIE_SECURE: source.COOKIE_SECURE ?? "",
  });
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid environment: ${problems}`);
  }
  return result.data;
}

let cached: Env | undefined;

export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
