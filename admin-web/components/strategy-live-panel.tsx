"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { Loader2, Play, Square, Trash2 } from "lucide-react";

import { deleteStrategyAction, setStrategyRunningAction } from "@/actions/trading";
import { StatusBadge } from "@/components/status-badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { dateTime, money } from "@/lib/format";
import { useLiveStore } from "@/lib/stores/live-store";
import { useUiStore } from "@/lib/stores/ui-store";
import type { Strategy, StrategyStatusOut } from "@/lib/types";

/** Status, today's position, last action and price of one strategy, following the live stream. */
export function StrategyLivePanel({ strategy, status }: { strategy: Strategy; status: StrategyStatusOut }) {
  const router = useRouter();
  const toast = useUiStore((s) => s.toast);
  const live = useLiveStore((s) => s.strategies[strategy.id]);
  const price = useLiveStore((s) => s.prices[strategy.symbol]);
  const [pending, startTransition] = useTransition();
  const [optimistic, setOptimistic] = useState<{ status: string; reason: string; at: number } | null>(null);

  // The newest of: the server's answer, our own start/stop reply, the live event.
  const serverAt = 0;
  const candidates = [
    { status: status.status, reason: status.status_reason, at: serverAt },
    optimistic,
    live?.status ? { status: live.status, reason: live.reason ?? "", at: live.updatedAt } : null,
  ].filter(Boolean) as { status: string; reason: string; at: number }[];
  const current = candidates.reduce((a, b) => (b.at >= a.at ? b : a));
  const position = live?.position ?? status.position;
  const lastAction = live?.lastAction ?? status.last_action;
  const running = current.status === "RUNNING";

  const toggle = () =>
    startTransition(async () => {
      const res = await setStrategyRunningAction(strategy.id, !running);
      if (res.ok) {
        setOptimistic({ status: res.data.status, reason: res.data.status_reason, at: Date.now() });
        toast("success", res.data.status === "RUNNING" ? "Strategy started." : "Strategy stopped.");
        router.refresh();
      } else {
        toast("error", res.error.message);
      }
    });

  const remove = () =>
    startTransition(async () => {
      if (!window.confirm(`Delete "${strategy.name}"? Its order history is kept.`)) return;
      const res = await deleteStrategyAction(strategy.id);
      if (res.ok) {
        toast("success", "Strategy deleted.");
        router.push("/strategies");
      } else toast("error", res.error.message);
    });

  const next = status.next_trigger as { leg?: string; at?: string } | null;

  return (
    <Card data-testid="strategy-live-panel">
      <CardContent className="flex flex-wrap items-center gap-x-8 gap-y-4 pt-5">
        <div>
          <p className="text-xs font-medium uppercase tracking-wide text-muted-foreground">Status</p>
          <div className="mt-1">
            <StatusBadge kind="strategy" value={current.status} testId="strategy-status" className="text-sm" />
          </div>
        </div>
        <div>
          <p className="text-xs font-medium uppercase tracking-wide text-muted-foreground">Position today</p>
          <div className="mt-1">
            <StatusBadge kind="position" value={position} testId="strategy-position" className="text-sm" />
          </div>
        </div>
        <div>
          <p className="text-xs font-medium uppercase tracking-wide text-muted-foreground">Last action</p>
          <p className="mt-1 text-sm font-medium" data-testid="strategy-last-action">{lastAction ?? "—"}</p>
        </div>
        <div>
          <p className="text-xs font-medium uppercase tracking-wide text-muted-foreground">Last price</p>
          <p className="tabular mt-1 text-sm font-medium" data-testid="strategy-last-price">{money(price ?? status.last_price)}</p>
        </div>
        <div>
          <p className="text-xs font-medium uppercase tracking-wide text-muted-foreground">Next</p>
          <p className="mt-1 text-sm">{next?.at ? `${next.leg === "EXIT" ? "Sell" : "Buy"} ${dateTime(next.at)}` : "—"}</p>
        </div>
        <div className="ml-auto flex gap-2">
          <Button onClick={toggle} disabled={pending} variant={running ? "outline" : "default"} data-testid={running ? "stop-strategy" : "start-strategy"}>
            {pending ? <Loader2 className="animate-spin" /> : running ? <Square /> : <Play />}
            {running ? "Stop" : "Start"}
          </Button>
          <Button onClick={remove} disabled={pending || running} variant="ghost" aria-label="Delete strategy" title={running ? "Stop it first" : "Delete"}>
            <Trash2 />
          </Button>
        </div>
        {current.reason ? (
          <p className="w-full rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="strategy-status-reason">
            {current.reason}
          </p>
        ) : null}
      </CardContent>
    </Card>
  );
}
