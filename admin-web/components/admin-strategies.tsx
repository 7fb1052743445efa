"use client";

import { useTransition } from "react";
import { useRouter } from "next/navigation";
import { Square } from "lucide-react";

import { stopStrategyAsAdminAction } from "@/actions/admin";
import { StatusBadge } from "@/components/status-badge";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { money } from "@/lib/format";
import { useLiveStore } from "@/lib/stores/live-store";
import { useUiStore } from "@/lib/stores/ui-store";
import type { AdminStrategy } from "@/lib/types";

export function AdminStrategiesTable({ rows }: { rows: AdminStrategy[] }) {
  const router = useRouter();
  const toast = useUiStore((s) => s.toast);
  const live = useLiveStore((s) => s.strategies);
  const prices = useLiveStore((s) => s.prices);
  const [pending, start] = useTransition();
  return (
    <Table data-testid="admin-strategies">
      <TableHeader>
        <TableRow>
          <TableHead>Strategy</TableHead>
          <TableHead>Trader</TableHead>
          <TableHead>Broker</TableHead>
          <TableHead>Rules</TableHead>
          <TableHead className="text-right">Last</TableHead>
          <TableHead>Status</TableHead>
          <TableHead>Position</TableHead>
          <TableHead>Last order</TableHead>
          <TableHead className="text-right" />
        </TableRow>
      </TableHeader>
      <TableBody>
        {rows.map((s) => {
          const l = live[s.id];
          const status = l?.status ?? s.status;
          return (
            <TableRow key={s.id} data-testid={`admin-strategy-${s.id}`}>
              <TableCell>
                <p className="font-medium">{s.name}</p>
                <p className="font-mono text-xs text-muted-foreground">
                  #{s.id} · {s.symbol} × {s.quantity}
                </p>
              </TableCell>
              <TableCell className="text-xs">{s.user_email}</TableCell>
              <TableCell className="text-xs">{s.broker}</TableCell>
              <TableCell className="tabular text-xs text-muted-foreground">
                {s.buy_time} → {s.sell_time}
                <br />
                SL {money(s.stop_loss)}
              </TableCell>
              <TableCell className="tabular text-right text-xs">{money(prices[s.symbol])}</TableCell>
              <TableCell>
                <StatusBadge kind="strategy" value={status} testId={`admin-strategy-status-${s.id}`} />
                {s.halted_by ? <p className="mt-1 max-w-44 text-xs text-red-700">{s.halted_by}</p> : null}
                {!s.halted_by && (l?.reason ?? s.status_reason) ? <p className="mt-1 max-w-44 text-xs text-muted-foreground">{l?.reason ?? s.status_reason}</p> : null}
              </TableCell>
              <TableCell>
                <StatusBadge kind="position" value={l?.position ?? s.position} />
              </TableCell>
              <TableCell className="text-xs">
                {l?.lastOrder ? `${l.lastOrder.side} ${l.lastOrder.status}` : s.last_order ? `${s.last_order.side} ${s.last_order.status} (${s.last_order.reason})` : "—"}
              </TableCell>
              <TableCell className="text-right">
                {status === "RUNNING" ? (
                  <Button
                    size="sm"
                    variant="outline"
                    disabled={pending}
                    onClick={() =>
                      start(async () => {
                        const res = await stopStrategyAsAdminAction(s.id, "Stopped by an admin");
                        if (res.ok) {
                          toast("success", `Strategy #${s.id} stopped.`);
                          router.refresh();
                        } else toast("error", res.error.message);
                      })
                    }
                  >
                    <Square /> Stop
                  </Button>
                ) : null}
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
