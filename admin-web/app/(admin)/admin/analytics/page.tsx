import type { Metadata } from "next";

import { CountBarChart, DonutChart, VolumeLineChart } from "@/components/charts";
import { PageHeader } from "@/components/page-header";
import { StatCard } from "@/components/stat-card";
import { ErrorState } from "@/components/states";
import { StatusBadge } from "@/components/status-badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { count, money, percent } from "@/lib/format";
import { load } from "@/lib/server/backend";
import type { AdminOrder, AdminSystem, BrokerStats, Paged } from "@/lib/types";

export const metadata: Metadata = { title: "Analytics" };

const BROKERS = ["paper", "zerodha", "dhan", "fyers", "angelone"];

/** Orders of the last 24 h in hourly buckets (IST labels). */
function hourly(orders: AdminOrder[], now: number) {
  const buckets = Array.from({ length: 24 }, (_, i) => {
    const start = now - (23 - i) * 3_600_000;
    const label = new Date(start).toLocaleTimeString("en-GB", { timeZone: "Asia/Kolkata", hour: "2-digit", minute: "2-digit", hour12: false }).slice(0, 2) + "h";
    return { hour: label, filled: 0, failed: 0 };
  });
  for (const o of orders) {
    const age = now - new Date(o.created_at).getTime();
    const idx = 23 - Math.floor(age / 3_600_000);
    if (idx < 0 || idx > 23) continue;
    if (o.status === "FILLED") buckets[idx].filled += 1;
    else if (o.status === "REJECTED" || o.status === "FAILED") buckets[idx].failed += 1;
  }
  return buckets;
}

export default async function AnalyticsPage() {
  const now = Date.now();
  const since = new Date(now - 24 * 3_600_000).toISOString();
  const [sys, orders, ...brokerStats] = await Promise.all([
    load<AdminSystem>("/api/admin/system"),
    load<Paged<AdminOrder>>("/api/admin/orders", { query: { since, page_size: 200 } }),
    ...BROKERS.map((b) => load<BrokerStats[]>("/api/broker/stats", { query: { broker: b } })),
  ]);
  if (!sys.ok) return <ErrorState error={sys.error} />;
  const s = sys.data;
  const stats = brokerStats.flatMap((r) => (r.ok ? r.data : []));
  const o24 = s.orders?.["24h"];
  const totalUsers = Object.values(s.users).reduce((a, b) => a + b, 0);
  const turnover = stats.reduce((a, b) => a + Number(b.orders_24h.turnover || 0), 0);

  return (
    <div className="space-y-6">
      <PageHeader title="Analytics" description="Platform-wide figures: users, strategies, order flow by broker over the last 24 hours." />
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <StatCard label="Users" value={count(totalUsers)} hint={Object.entries(s.users).map(([r, n]) => `${n} ${r}`).join(" · ")} />
        <StatCard label="Strategies" value={count(Object.values(s.strategies ?? {}).reduce((a, b) => a + b, 0))} hint={`${s.strategies?.RUNNING ?? 0} running`} />
        <StatCard label="Orders (24 h)" value={count(o24?.total)} hint={`${percent(o24?.success_rate)} filled`} />
        <StatCard label="Turnover (24 h)" value={money(turnover)} hint="Filled value, all brokers" />
      </div>
      <div className="grid gap-4 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Order flow, last 24 hours</CardTitle>
            <CardDescription>{orders.ok ? `${orders.data.results.length} of ${orders.data.count} orders shown` : orders.error.message}</CardDescription>
          </CardHeader>
          <CardContent>
            <VolumeLineChart data={hourly(orders.ok ? orders.data.results : [], now)} />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Users by role</CardTitle>
          </CardHeader>
          <CardContent>
            <DonutChart data={Object.entries(s.users).map(([name, value]) => ({ name, value }))} testId="users-chart" />
          </CardContent>
        </Card>
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Orders by status (24 h)</CardTitle>
          </CardHeader>
          <CardContent>
            <CountBarChart data={Object.entries(o24?.by_status ?? {}).map(([name, value]) => ({ name, value }))} testId="orders-status-chart" />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Orders by broker (24 h)</CardTitle>
          </CardHeader>
          <CardContent>
            <CountBarChart layout="vertical" data={stats.map((b) => ({ name: b.broker, value: b.orders_24h.total }))} testId="broker-volume-chart" />
          </CardContent>
        </Card>
      </div>
      <Card>
        <CardHeader>
          <CardTitle>Brokers</CardTitle>
        </CardHeader>
        <CardContent className="p-0 pb-2">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Broker</TableHead>
                <TableHead>Health</TableHead>
                <TableHead className="text-right">Clients</TableHead>
                <TableHead className="text-right">Accounts</TableHead>
                <TableHead className="text-right">Running</TableHead>
                <TableHead className="text-right">Orders 24 h</TableHead>
                <TableHead className="text-right">Filled</TableHead>
                <TableHead className="text-right">Rejected</TableHead>
                <TableHead className="text-right">Turnover</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {stats.map((b) => (
                <TableRow key={b.broker}>
                  <TableCell className="font-medium capitalize">{b.broker}</TableCell>
                  <TableCell>
                    <StatusBadge kind="health" value={b.api_health.status} />
                  </TableCell>
                  <TableCell className="tabular text-right">{b.clients}</TableCell>
                  <TableCell className="tabular text-right">
                    {b.active_accounts}/{b.accounts}
                  </TableCell>
                  <TableCell className="tabular text-right">
                    {b.running_strategies}/{b.strategies}
                  </TableCell>
                  <TableCell className="tabular text-right">{b.orders_24h.total}</TableCell>
                  <TableCell className="tabular text-right">{percent(b.orders_24h.success_rate)}</TableCell>
                  <TableCell className="tabular text-right">{percent(b.orders_24h.reject_rate)}</TableCell>
                  <TableCell className="tabular text-right">{money(b.orders_24h.turnover)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </CardContent>
      </Card>
    </div>
  );
}
