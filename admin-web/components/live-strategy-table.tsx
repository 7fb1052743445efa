"use client";

import Link from "next/link";

import { StatusBadge } from "@/components/status-badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { money, weekdays } from "@/lib/format";
import { useLiveStore } from "@/lib/stores/live-store";
import type { Strategy } from "@/lib/types";

export function LiveStrategyTable({ strategies, positions, accountLabels }: { strategies: Strategy[]; positions: Record<number, string>; accountLabels: Record<number, string> }) {
  const live = useLiveStore((s) => s.strategies);
  const prices = useLiveStore((s) => s.prices);
  return (
    <Table data-testid="strategies-table">
      <TableHeader>
        <TableRow>
          <TableHead>Name</TableHead>
          <TableHead>Symbol</TableHead>
          <TableHead className="text-right">Qty</TableHead>
          <TableHead>Buy</TableHead>
          <TableHead>Sell</TableHead>
          <TableHead className="text-right">Stop-loss</TableHead>
          <TableHead className="text-right">Last</TableHead>
          <TableHead>Days</TableHead>
          <TableHead>Account</TableHead>
          <TableHead>Status</TableHead>
          <TableHead>Position</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {strategies.map((s) => {
          const l = live[s.id];
          return (
            <TableRow key={s.id} data-testid={`strategy-row-${s.id}`}>
              <TableCell>
                <Link href={`/strategies/${s.id}`} className="font-medium text-primary hover:underline">
                  {s.name}
                </Link>
              </TableCell>
              <TableCell className="font-mono text-xs">
                {s.symbol} <span className="text-muted-foreground">{s.exchange}</span>
              </TableCell>
              <TableCell className="tabular text-right">{s.quantity}</TableCell>
              <TableCell className="tabular">{s.buy_time}</TableCell>
              <TableCell className="tabular">{s.sell_time}</TableCell>
              <TableCell className="tabular text-right">{money(s.stop_loss)}</TableCell>
              <TableCell className="tabular text-right">{money(prices[s.symbol])}</TableCell>
              <TableCell className="text-xs text-muted-foreground">{weekdays(s.days)}</TableCell>
              <TableCell className="text-xs">{accountLabels[s.broker_account] ?? `#${s.broker_account}`}</TableCell>
              <TableCell>
                <StatusBadge kind="strategy" value={l?.status ?? s.status} testId={`strategy-status-${s.id}`} />
              </TableCell>
              <TableCell>
                <StatusBadge kind="position" value={l?.position ?? positions[s.id] ?? "FLAT"} testId={`strategy-position-${s.id}`} />
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
