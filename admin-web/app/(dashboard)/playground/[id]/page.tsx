import type { Metadata } from "next";
import Link from "next/link";
import { ArrowLeft } from "lucide-react";

import { EquityChart, PnlBarChart } from "@/components/charts";
import { PollRefresh } from "@/components/live-refresh";
import { PageHeader } from "@/components/page-header";
import { StatCard } from "@/components/stat-card";
import { ErrorState } from "@/components/states";
import { StatusBadge } from "@/components/status-badge";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { money, percent, signClass } from "@/lib/format";
import { load } from "@/lib/server/backend";
import type { BacktestRunDetail } from "@/lib/types";

export const metadata: Metadata = { title: "Backtest" };

export default async function BacktestPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const run = await load<BacktestRunDetail>(`/api/playground/runs/${Number(id)}`);
  if (!run.ok) return <ErrorState error={run.error} />;
  const r = run.data;
  const p = r.params as Record<string, string | number | undefined>;
  const res = r.result;
  const busy = r.status === "QUEUED" || r.status === "RUNNING";
  return (
    <div className="space-y-6">
      <PollRefresh active={busy} />
      <Link href="/playground" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
        <ArrowLeft className="size-4" /> Playground
      </Link>
      <PageHeader
        title={`Backtest #${r.id}${p.symbol ? ` · ${p.symbol}` : ""}`}
        description={`${r.source} data · buy ${p.buy_time} · sell ${p.sell_time} · stop-loss ${p.stop_loss} · ${p.quantity ?? 1} shares`}
        actions={<StatusBadge kind="run" value={r.status} testId="run-status" />}
      />
      {busy ? (
        <Card>
          <CardContent className="pt-5">
            <p className="mb-2 text-sm">Running… {r.progress}%</p>
            <div className="h-2 w-full overflow-hidden rounded-full bg-muted">
              <div className="h-full bg-primary transition-all" style={{ width: `${r.progress}%` }} />
            </div>
          </CardContent>
        </Card>
      ) : null}
      {r.status === "FAILED" ? <ErrorState error={{ code: "backtest_failed", message: r.error || "The backtest failed.", fields: {} }} title="Backtest failed" /> : null}
      {res ? (
        <>
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
            <StatCard label="Total P&L" value={money(res.summary.total_pnl)} valueClassName={signClass(res.summary.total_pnl)} testId="bt-total" />
            <StatCard label="Trades" value={res.summary.trades} hint={`${res.summary.wins} wins · ${res.summary.losses} losses · ${res.trading_days} days`} />
            <StatCard label="Win rate" value={percent(res.summary.win_rate)} hint={`${res.summary.stop_loss_exits} stop-loss exits`} />
            <StatCard label="Max drawdown" value={money(res.summary.max_drawdown)} hint={`Best ${money(res.summary.best_trade)} · worst ${money(res.summary.worst_trade)}`} />
          </div>
          <div className="grid gap-4 lg:grid-cols-2">
            <Card>
              <CardHeader>
                <CardTitle>Equity curve</CardTitle>
              </CardHeader>
              <CardContent>
                <EquityChart data={res.equity_curve} />
              </CardContent>
            </Card>
            <Card>
              <CardHeader>
                <CardTitle>P&L per day</CardTitle>
              </CardHeader>
              <CardContent>
                <PnlBarChart data={res.trades.map((t) => ({ day: t.day, pnl: t.pnl }))} height={260} />
              </CardContent>
            </Card>
          </div>
          <Card>
            <CardHeader>
              <CardTitle>Trades</CardTitle>
            </CardHeader>
            <CardContent className="max-h-[480px] overflow-auto p-0">
              <Table>
                <TableHeader>
                  <TableRow>
                    <TableHead>Day</TableHead>
                    <TableHead>Entry</TableHead>
                    <TableHead>Exit</TableHead>
                    <TableHead>Reason</TableHead>
                    <TableHead className="text-right">P&L</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {res.trades.map((t) => (
                    <TableRow key={t.day}>
                      <TableCell className="tabular">{t.day}</TableCell>
                      <TableCell className="tabular">
                        {t.entry_time} @ {money(t.entry_price)}
                      </TableCell>
                      <TableCell className="tabular">
                        {t.exit_time} @ {money(t.exit_price)}
                      </TableCell>
                      <TableCell>
                        <span className={t.exit_reason === "STOP_LOSS" ? "text-red-700" : ""}>{t.exit_reason.replace(/_/g, " ")}</span>
                      </TableCell>
                      <TableCell className={`tabular text-right font-medium ${signClass(t.pnl)}`}>{money(t.pnl)}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </CardContent>
          </Card>
        </>
      ) : null}
    </div>
  );
}
