import type { Metadata } from "next";

import { BrokerHaltPanel } from "@/components/broker-halt";
import { CountBarChart } from "@/components/charts";
import { PageHeader } from "@/components/page-header";
import { StatCard } from "@/components/stat-card";
import { EmptyState, ErrorState } from "@/components/states";
import { StatusBadge } from "@/components/status-badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { count, money, percent } from "@/lib/format";
import { load } from "@/lib/server/backend";
import { requireUser } from "@/lib/server/session";
import type { BrokerStats, KillSwitch, Paged } from "@/lib/types";

export const metadata: Metadata = { title: "Broker desk" };

export default async function BrokerDeskPage({ searchParams }: { searchParams: Promise<{ broker?: string }> }) {
  const me = await requireUser(["admin", "broker"]);
  const { broker } = await searchParams;
  const query = me.role === "admin" ? { broker: broker || "paper" } : {};
  const [stats, halts] = await Promise.all([
    load<BrokerStats[]>("/api/broker/stats", { query }),
    load<Paged<KillSwitch>>("/api/broker/kill", { query: { active: true, ...query } }),
  ]);
  if (!stats.ok) return <ErrorState error={stats.error} />;
  return (
    <div className="space-y-8">
      <PageHeader
        title="Broker desk"
        description={me.role === "broker" ? `The order flow through ${me.broker}: only your broker's clients are shown.` : "The order flow through one broker (admins may pick any: ?broker=zerodha)."}
      />
      {stats.data.length === 0 ? <EmptyState title="No data for this broker" /> : null}
      {stats.data.map((s) => (
        <section key={s.broker} className="space-y-4" data-testid={`broker-stats-${s.broker}`}>
          <div className="flex items-center gap-3">
            <h2 className="text-lg font-semibold capitalize">{s.broker}</h2>
            <StatusBadge kind="health" value={s.api_health.status} testId="broker-health" />
          </div>
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
            <StatCard label="Clients" value={count(s.clients)} hint={`${s.active_accounts} of ${s.accounts} accounts active`} testId="stat-clients" />
            <StatCard label="Strategies" value={count(s.strategies)} hint={`${s.running_strategies} running`} />
            <StatCard label="Orders (24 h)" value={count(s.orders_24h.total)} hint={`${percent(s.orders_24h.success_rate)} filled · ${percent(s.orders_24h.reject_rate)} rejected`} testId="stat-orders" />
            <StatCard label="Turnover (24 h)" value={money(s.orders_24h.turnover)} hint={`Peak ${s.peak_orders_per_second} orders/s (last minute)`} />
          </div>
          <div className="grid gap-4 lg:grid-cols-5">
            <Card className="lg:col-span-2">
              <CardHeader>
                <CardTitle>Orders by status (24 h)</CardTitle>
              </CardHeader>
              <CardContent>
                <CountBarChart data={Object.entries(s.orders_24h.by_status).map(([name, value]) => ({ name, value }))} testId="broker-orders-chart" />
              </CardContent>
            </Card>
            <Card className="lg:col-span-3">
              <CardHeader>
                <CardTitle>Clients</CardTitle>
                <CardDescription>Per-client peak orders per second and registered static IPs (SEBI retail-algo framework).</CardDescription>
              </CardHeader>
              <CardContent className="p-0 pb-2">
                <Table data-testid="broker-clients">
                  <TableHeader>
                    <TableRow>
                      <TableHead>Client</TableHead>
                      <TableHead>Accounts</TableHead>
                      <TableHead>Static IPs</TableHead>
                      <TableHead className="text-right">Peak/s</TableHead>
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {s.client_list.map((c) => (
                      <TableRow key={c.user}>
                        <TableCell className="font-medium">{c.email}</TableCell>
                        <TableCell className="text-xs">{c.accounts.map((a) => a.label).join(", ")}</TableCell>
                        <TableCell className="font-mono text-xs">
                          {c.accounts.map((a) => [a.primary_ip, a.secondary_ip].filter(Boolean).join(" / ") || "not registered").join("; ")}
                        </TableCell>
                        <TableCell className="tabular text-right">{c.peak_orders_per_second}</TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </CardContent>
            </Card>
          </div>
        </section>
      ))}
      <BrokerHaltPanel halts={halts.ok ? halts.data.results : []} canHalt={me.role === "broker"} />
    </div>
  );
}
