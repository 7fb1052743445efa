"use client";

import Link from "next/link";

import { StatusBadge } from "@/components/status-badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { money, signClass } from "@/lib/format";
import { useLiveStore } from "@/lib/stores/live-store";
import type { PositionRow } from "@/lib/types";

/** Today's positions with the live last price and unrealised P&L recomputed on each tick. */
export function LivePositions({ positions }: { positions: PositionRow[] }) {
  const prices = useLiveStore((s) => s.prices);
  const live = useLiveStore((s) => s.strategies);
  return (
    <Table>
      <TableHeader>
        <TableRow>
          <TableHead>Strategy</TableHead>
          <TableHead>Symbol</TableHead>
          <TableHead>Position</TableHead>
          <TableHead className="text-right">Qty</TableHead>
          <TableHead className="text-right">Entry</TableHead>
          <TableHead className="text-right">Last</TableHead>
          <TableHead className="text-right">Exit</TableHead>
          <TableHead className="text-right">P&L</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {positions.map((p) => {
          const last = prices[p.symbol] ?? p.last_price;
          const position = live[p.strategy]?.position ?? p.position;
          const unrealised = position === "LONG" && p.entry_price && last ? (Number(last) - Number(p.entry_price)) * p.quantity : null;
          const pnl = p.realised_pnl ?? (unrealised !== null ? unrealised.toFixed(2) : p.unrealised_pnl);
          return (
            <TableRow key={p.strategy}>
              <TableCell>
                <Link href={`/strategies/${p.strategy}`} className="font-medium hover:underline">
                  {p.name}
                </Link>
              </TableCell>
              <TableCell className="font-mono text-xs">{p.symbol}</TableCell>
              <TableCell>
                <StatusBadge kind="position" value={position} />
              </TableCell>
              <TableCell className="tabular text-right">{p.quantity}</TableCell>
              <TableCell className="tabular text-right">{money(p.entry_price)}</TableCell>
              <TableCell className="tabular text-right">{money(last)}</TableCell>
              <TableCell className="tabular text-right">{money(p.exit_price)}</TableCell>
              <TableCell className={`tabular text-right font-medium ${signClass(pnl)}`}>{money(pnl)}</TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
