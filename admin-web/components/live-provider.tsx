"use client";

import { useEffect } from "react";

import { parseEvent } from "@/lib/live";
import { useLiveStore } from "@/lib/stores/live-store";

const EVENTS = ["hello", "strategy", "order", "prices", "heartbeat", "notification"] as const;

/** One EventSource per tab on /api/stream (our proxy); events go into the live store. */
export function LiveProvider({ children }: { children: React.ReactNode }) {
  const apply = useLiveStore((s) => s.apply);
  const setConnection = useLiveStore((s) => s.setConnection);

  useEffect(() => {
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let closed = false;

    const connect = () => {
      setConnection("connecting");
      source = new EventSource("/api/stream");
      source.onopen = () => setConnection("open");
      source.onerror = () => {
        setConnection("error");
        // A 401/502 answer closes the EventSource for good; reopen after a pause (the
        // middleware refreshes the session on that request).
        if (source?.readyState === EventSource.CLOSED && !closed) {
          retry = setTimeout(connect, 3000);
        }
      };
      for (const name of EVENTS) {
        source.addEventListener(name, (e) => {
          const event = parseEvent(name, (e as MessageEvent<string>).data);
          if (event) apply(event);
          setConnection("open");
        });
      }
    };
    connect();
    return () => {
      closed = true;
      if (retry) clearTimeout(retry);
      source?.close();
    };
  }, [apply, setConnection]);

  return <>{children}</>;
}

export function LiveIndicator() {
  const connection = useLiveStore((s) => s.connection);
  const label = connection === "open" ? "Live" : connection === "connecting" ? "Connecting" : "Reconnecting";
  const dot = connection === "open" ? "bg-emerald-500" : connection === "connecting" ? "bg-amber-400" : "bg-red-500";
  return (
    <span className="inline-flex items-center gap-1.5 rounded-full border bg-background px-2.5 py-1 text-xs font-medium text-muted-foreground" data-testid="live-indicator" data-state={connection}>
      <span className={`size-2 rounded-full ${dot} ${connection === "open" ? "animate-pulse" : ""}`} />
      {label}
    </span>
  );
}
