import type { Metadata } from "next";
import Link from "next/link";
import { Plus } from "lucide-react";

import { EquityChart, PnlBarChart } from "@/components/charts";
import { LiveRefresh } from "@/components/live-refresh";
import { LivePositions } from "@/components/live-positions";
import { PageHeader } from "@/components/page-header";
import { StatCard } from "@/components/stat-card";
import { ErrorState, EmptyState } from "@/components/states";
import { StatusBadge } from "@/components/status-badge";
import { buttonVariants } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { dateTime, day, money, signClass } from "@/lib/format";
import { load } from "@/lib/server/backend";
import type { Dashboard, Strategy } from "@/lib/types";

export const metadata: Metadata = { title: "Dashboard" };

export default async function DashboardPage() {
  const [dash, strategies] = await Promise.all([load<Dashboard>("/api/dashboard", { query: { page_size: 10 } }), load<Strategy[]>("/api/strategy/list")]);
  if (!dash.ok) return <ErrorState error={dash.error} />;
  const d = dash.data;
  const running = strategies.ok ? strategies.data.filter((s) => s.status === "RUNNING").length : 0;
  let cumulative = 0;
  const equity = d.realised.by_day.map((x) => ({ day: x.day, equity: (cumulative += Number(x.pnl)) }));

  return (
    <div className="space-y-6">
      <LiveRefresh />
      <PageHeader
        title="Dashboard"
        description={`Trading day ${day(d.trading_day)} · realised P&L from ${day(d.realised.start)} to ${day(d.realised.end)}`}
        actions={
          <Link href="/strategies/new" className={buttonVariants()}>
            <Plus /> New strategy
          </Link>
        }
      />
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <StatCard label="Unrealised P&L" value={money(d.unrealised_total)} valueClassName={signClass(d.unrealised_total)} hint="Open positions at the last price" testId="stat-unrealised" />
        <StatCard label="Realised P&L (30 days)" value={money(d.realised.total)} valueClassName={signClass(d.realised.total)} hint={`${d.realised.by_day.reduce((n, x) => n + x.trades, 0)} trades`} />
        <StatCard label="Positions today" value={d.positions.length} hint={`${d.positions.filter((p) => p.position === "LONG").length} open`} />
        <StatCard label="Running strategies" value={strategies.ok ? `${running} / ${strategies.data.length}` : "—"} hint="Buy and sell on schedule" />
      </div>

      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Daily P&L</CardTitle>
            <CardDescription>Realised, per trading day</CardDescription>
          </CardHeader>
          <CardContent>
            <PnlBarChart data={d.realised.by_day} />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Equity curve</CardTitle>
            <CardDescription>Cumulative realised P&L</CardDescription>
          </CardHeader>
          <CardContent>
            <EquityChart data={equity} height={240} />
          </CardContent>
        </Card>
      </div>

      <Card>
        <CardHeader>
          <CardTitle>Today&apos;s positions</CardTitle>
          <CardDescription>Prices and positions update live.</CardDescription>
        </CardHeader>
        <CardContent>
          {d.positions.length ? <LivePositions positions={d.positions} /> : <EmptyState title="No positions today">Running strategies buy at their buy time.</EmptyState>}
        </CardContent>
      </Card>

      <div className="grid gap-4 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Recent orders</CardTitle>
          </CardHeader>
          <CardContent>
            {d.history.results.length ? (
              <Table>
                <TableHeader>
                  <TableRow>
                    <TableHead>Time</TableHead>
                    <TableHead>Side</TableHead>
                    <TableHead>Reason</TableHead>
                    <TableHead className="text-right">Qty</TableHead>
                    <TableHead className="text-right">Price</TableHead>
                    <TableHead>Status</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {d.history.results.map((o) => (
                    <TableRow key={o.id}>
                      <TableCell className="tabular text-muted-foreground">{dateTime(o.filled_at ?? o.created_at)}</TableCell>
                      <TableCell className={o.side === "BUY" ? "font-medium text-emerald-700" : "font-medium text-red-700"}>{o.side}</TableCell>
                      <TableCell>{o.reason.replace("_", " ")}</TableCell>
                      <TableCell className="tabular text-right">{o.quantity}</TableCell>
                      <TableCell className="tabular text-right">{money(o.price)}</TableCell>
                      <TableCell>
                        <StatusBadge kind="order" value={o.status} />
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            ) : (
              <EmptyState title="No orders yet" />
            )}
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>P&L by strategy</CardTitle>
          </CardHeader>
          <CardContent className="space-y-2">
            {d.realised.by_strategy.length ? (
              d.realised.by_strategy.map((s) => (
                <div key={s.strategy} className="flex items-center justify-between rounded-md border px-3 py-2 text-sm">
                  <div>
                    <Link href={`/strategies/${s.strategy}`} className="font-medium hover:underline">
                      {s.name}
                    </Link>
                    <p className="text-xs text-muted-foreground">
                      {s.symbol} · {s.trades} trades · {s.wins} wins
                    </p>
                  </div>
                  <span className={`tabular font-medium ${signClass(s.pnl)}`}>{money(s.pnl)}</span>
                </div>
              ))
            ) : (
              <p className="text-sm text-muted-foreground">No closed trades yet.</p>
            )}
          </CardContent>
        </Card>
      </div>
    </div>
  );
}
