"use client";

import { useEffect, useRef } from "react";
import { useRouter } from "next/navigation";

import { useLiveStore } from "@/lib/stores/live-store";

/**
 * Re-render the page's server data when a strategy or order event arrives (debounced), so
 * tables that the event does not carry (orders, P&L) follow without a reload. `filter`
 * limits it to events of some strategies.
 */
export function LiveRefresh({ strategyIds, delayMs = 250 }: { strategyIds?: number[]; delayMs?: number }) {
  const router = useRouter();
  const revision = useLiveStore((s) => s.revision);
  const strategies = useLiveStore((s) => s.strategies);
  const first = useRef(revision);
  const seen = useRef<Record<number, number>>({});

  useEffect(() => {
    if (revision === first.current) return;
    let relevant = true;
    if (strategyIds) {
      relevant = strategyIds.some((id) => {
        const at = strategies[id]?.updatedAt;
        if (at && at !== seen.current[id]) {
          seen.current[id] = at;
          return true;
        }
        return false;
      });
    }
    if (!relevant) return;
    const t = setTimeout(() => router.refresh(), delayMs);
    return () => clearTimeout(t);
  }, [revision, strategies, strategyIds, router, delayMs]);

  return null;
}

/** Poll the page's server data while something runs (backtests). */
export function PollRefresh({ active, everyMs = 1000 }: { active: boolean; everyMs?: number }) {
  const router = useRouter();
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => router.refresh(), everyMs);
    return () => clearInterval(t);
  }, [active, everyMs, router]);
  return null;
}

/**
 * The strategy page's orders come from the server; the live event can arrive before the
 * server's answer shows the change (the refetch raced the commit). While the live last order
 * is missing from, or differs in status from, the rendered orders, refetch again (bounded).
 */
export function OrdersCatchUp({ strategyId, known }: { strategyId: number; known: Record<number, string> }) {
  const router = useRouter();
  const last = useLiveStore((s) => s.strategies[strategyId]?.lastOrder);
  const tries = useRef(0);
  const behind = last !== undefined && known[last.id] !== last.status;
  useEffect(() => {
    if (!behind || tries.current >= 20) return;
    const t = setTimeout(() => {
      tries.current += 1;
      router.refresh();
    }, 400);
    return () => clearTimeout(t);
  }, [behind, known, router]);
  return null;
}
