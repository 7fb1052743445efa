/**
 * GET /api/stream: the backend's live updates (SSE) for the signed-in user, proxied so the JWT
 * never reaches the browser. The middleware has already refreshed the access cookie; the
 * backend authenticates once, at connect. When the browser goes away the upstream request is
 * aborted. EventSource reconnects by itself (the backend sends `retry: 2000`).
 */
import { cookies } from "next/headers";

import { backendUrl } from "@/lib/server/backend";
import { ACCESS_COOKIE } from "@/lib/session-core";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export async function GET(request: Request): Promise<Response> {
  const token = (await cookies()).get(ACCESS_COOKIE)?.value;
  if (!token) return Response.json({ error: { code: "not_authenticated", message: "Sign in to follow live updates.", fields: {} } }, { status: 401 });

  const upstreamAbort = new AbortController();
  request.signal.addEventListener("abort", () => upstreamAbort.abort());
  let upstream: Response;
  try {
    upstream = await fetch(backendUrl("/api/stream/sse"), {
      headers: { accept: "text/event-stream", authorization: `Bearer ${token}` },
      cache: "no-store",
      signal: upstreamAbort.signal,
    });
  } catch {
    return Response.json({ error: { code: "backend_unreachable", message: "The live stream is not reachable.", fields: {} } }, { status: 502 });
  }
  if (!upstream.ok || !upstream.body) {
    const body = await upstream.text().catch(() => "");
    return new Response(body || JSON.stringify({ error: { code: "stream_failed", message: `Upstream answered ${upstream.status}.`, fields: {} } }), {
      status: upstream.status === 200 ? 502 : upstream.status,
      headers: { "content-type": "application/json" },
    });
  }

  const reader = upstream.body.getReader();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch {
        controller.close();
      }
    },
    cancel() {
      upstreamAbort.abort();
      reader.cancel().catch(() => undefined);
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
