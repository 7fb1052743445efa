import type { Metadata } from "next";
import Link from "next/link";
import { ArrowLeft } from "lucide-react";

import { StrategyForm } from "@/components/forms/strategy-form";
import { LiveRefresh, OrdersCatchUp } from "@/components/live-refresh";
import { StrategyLivePanel } from "@/components/strategy-live-panel";
import { PageHeader } from "@/components/page-header";
import { EmptyState, ErrorState } from "@/components/states";
import { StatusBadge } from "@/components/status-badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { dateTime, money, weekdays } from "@/lib/format";
import { load } from "@/lib/server/backend";
import type { BrokerAccount, Order, Strategy, StrategyStatusOut } from "@/lib/types";

export const metadata: Metadata = { title: "Strategy" };

export default async function StrategyPage({ params }: { params: Promise<{ id: string }> }) {
  const { id: raw } = await params;
  const id = Number(raw);
  const [strategy, status, orders, accounts] = await Promise.all([
    load<Strategy>(`/api/strategy/${id}`),
    load<StrategyStatusOut>(`/api/strategy/status/${id}`),
    load<Order[]>(`/api/strategy/${id}/orders`),
    load<BrokerAccount[]>("/api/broker/accounts"),
  ]);
  if (!strategy.ok) return <ErrorState error={strategy.error} title={strategy.error.status === 404 ? "No such strategy" : "Could not load the strategy"} />;
  const s = strategy.data;
  const account = accounts.ok ? accounts.data.find((a) => a.id === s.broker_account) : undefined;

  return (
    <div className="space-y-6">
      <LiveRefresh strategyIds={[s.id]} />
      {orders.ok ? <OrdersCatchUp strategyId={s.id} known={Object.fromEntries(orders.data.map((o) => [o.id, o.status]))} /> : null}
      <Link href="/strategies" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
        <ArrowLeft className="size-4" /> Strategies
      </Link>
      <PageHeader title={s.name} description={`${s.symbol} on ${s.exchange} · ${s.quantity} shares · ${s.product} · ${weekdays(s.days)}`} />

      {status.ok ? <StrategyLivePanel strategy={s} status={status.data} /> : <ErrorState error={status.error} title="Live status unavailable" />}

      <div className="grid gap-4 lg:grid-cols-3">
        <Card>
          <CardHeader>
            <CardTitle>Rules</CardTitle>
            <CardDescription>Times in IST</CardDescription>
          </CardHeader>
          <CardContent>
            <dl className="grid grid-cols-2 gap-y-2 text-sm">
              <dt className="text-muted-foreground">Buy at</dt>
              <dd className="tabular font-medium" data-testid="rule-buy">{s.buy_time}</dd>
              <dt className="text-muted-foreground">Sell at</dt>
              <dd className="tabular font-medium">{s.sell_time}</dd>
              <dt className="text-muted-foreground">Stop-loss</dt>
              <dd className="tabular font-medium">{money(s.stop_loss)}</dd>
              <dt className="text-muted-foreground">Broker</dt>
              <dd className="font-medium">
                {account ? (
                  <span className="inline-flex items-center gap-1.5">
                    {account.label} <StatusBadge kind="account" value={account.status} />
                  </span>
                ) : (
                  `#${s.broker_account}`
                )}
              </dd>
              <dt className="text-muted-foreground">Created</dt>
              <dd>{dateTime(s.created_at)}</dd>
            </dl>
          </CardContent>
        </Card>
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Orders</CardTitle>
            <CardDescription>Every order this strategy placed, newest first. The tag is the broker-side correlation id.</CardDescription>
          </CardHeader>
          <CardContent>
            {!orders.ok ? (
              <ErrorState error={orders.error} />
            ) : orders.data.length === 0 ? (
              <EmptyState title="No orders yet">Orders appear here the moment they are placed.</EmptyState>
            ) : (
              <Table data-testid="orders-table">
                <TableHeader>
                  <TableRow>
                    <TableHead>Day</TableHead>
                    <TableHead>Side</TableHead>
                    <TableHead>Reason</TableHead>
                    <TableHead className="text-right">Qty</TableHead>
                    <TableHead className="text-right">Price</TableHead>
                    <TableHead>Status</TableHead>
                    <TableHead>Filled</TableHead>
                    <TableHead>Tag</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {orders.data.map((o) => (
                    <TableRow key={o.id} data-testid="order-row" data-side={o.side} data-status={o.status}>
                      <TableCell className="tabular text-muted-foreground">{o.trading_day}</TableCell>
                      <TableCell className={o.side === "BUY" ? "font-medium text-emerald-700" : "font-medium text-red-700"}>{o.side}</TableCell>
                      <TableCell>{o.reason.replace("_", " ")}</TableCell>
                      <TableCell className="tabular text-right">
                        {o.filled_quantity}/{o.quantity}
                      </TableCell>
                      <TableCell className="tabular text-right">{money(o.price)}</TableCell>
                      <TableCell>
                        <StatusBadge kind="order" value={o.status} />
                        {o.last_error ? <p className="mt-1 max-w-48 truncate text-xs text-red-700" title={o.last_error}>{o.last_error}</p> : null}
                      </TableCell>
                      <TableCell className="tabular text-xs">{dateTime(o.filled_at)}</TableCell>
                      <TableCell className="font-mono text-xs text-muted-foreground">{o.tag}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            )}
          </CardContent>
        </Card>
      </div>

      {accounts.ok ? (
        <details className="group rounded-xl border bg-card shadow-sm">
          <summary className="cursor-pointer list-none px-5 py-4 font-semibold">
            Edit rules <span className="text-sm font-normal text-muted-foreground">(while a position is open only name, stop-loss and sell time can change)</span>
          </summary>
          <div className="border-t p-5">
            <StrategyForm accounts={accounts.data} strategy={s} />
          </div>
        </details>
      ) : null}
    </div>
  );
}
