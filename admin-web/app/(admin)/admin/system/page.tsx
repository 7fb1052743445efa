import type { Metadata } from "next";

import { CountBarChart, LatencyChart } from "@/components/charts";
import { KillSwitchPanel } from "@/components/kill-switches";
import { PollRefresh } from "@/components/live-refresh";
import { PageHeader } from "@/components/page-header";
import { StatCard } from "@/components/stat-card";
import { ErrorState } from "@/components/states";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { count, dateTime, ms, percent } from "@/lib/format";
import { load } from "@/lib/server/backend";
import type { AdminSystem, KillSwitch, Paged } from "@/lib/types";

export const metadata: Metadata = { title: "System" };

const LATENCY_NAMES: Record<string, string> = { stoploss_latency_ms: "Stop-loss (tick → order)", schedule_lateness_ms: "Schedule lateness" };

export default async function SystemPage() {
  const [sys, switches] = await Promise.all([load<AdminSystem>("/api/admin/system"), load<Paged<KillSwitch>>("/api/admin/kill-switches", { query: { active: true, page_size: 100 } })]);
  if (!sys.ok) return <ErrorState error={sys.error} />;
  const s = sys.data;
  const o1 = s.orders?.["1h"];
  const o24 = s.orders?.["24h"];
  const workers = (s.heartbeats ?? []).filter((h) => h.kind === "worker").length;
  return (
    <div className="space-y-6">
      <PollRefresh active everyMs={5000} />
      <PageHeader title="System" description="Health of every process, latency objectives measured by the platform itself, and the kill switches." />
      {s.error ? <ErrorState error={{ code: "partial", message: s.error, fields: {} }} title="Some figures are missing" /> : null}
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <StatCard
          label="Services"
          value={
            <span className="flex flex-wrap gap-1.5 text-sm">
              {Object.entries(s.services).map(([name, state]) => (
                <Badge key={name} variant={state === "ok" ? "success" : "danger"}>
                  {name} {state}
                </Badge>
              ))}
            </span>
          }
          hint={`${workers} Celery workers alive`}
          testId="stat-services"
        />
        <StatCard label="Ticks / second" value={s.ticks_per_second === null || s.ticks_per_second === undefined ? "—" : count(Math.round(s.ticks_per_second))} hint="Market feed into the listener" />
        <StatCard label="Orders (1 h)" value={count(o1?.total)} hint={`${percent(o1?.success_rate)} filled · ${percent(o1?.reject_rate)} rejected · ${percent(o1?.failure_rate)} failed`} />
        <StatCard label="Orders (24 h)" value={count(o24?.total)} hint={`${percent(o24?.success_rate)} filled · ${percent(o24?.reject_rate)} rejected`} />
      </div>

      <KillSwitchPanel active={switches.ok ? switches.data.results : []} summary={s.kill_switches ?? {}} />

      <div className="grid gap-4 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Latency objectives</CardTitle>
            <CardDescription>Last 1000 samples of each path, nearest-rank percentiles.</CardDescription>
          </CardHeader>
          <CardContent>
            <LatencyChart data={Object.entries(s.latency_ms ?? {}).map(([name, p]) => ({ name: LATENCY_NAMES[name] ?? name, p50: p.p50, p90: p.p90, p99: p.p99, max: p.max }))} />
            <div className="mt-3 grid gap-2 text-xs text-muted-foreground sm:grid-cols-2">
              {Object.entries(s.latency_ms ?? {}).map(([name, p]) => (
                <p key={name}>
                  {LATENCY_NAMES[name] ?? name}: p50 {ms(p.p50)} · p99 {ms(p.p99)} · {p.count} samples
                </p>
              ))}
            </div>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Strategies by status</CardTitle>
          </CardHeader>
          <CardContent>
            <CountBarChart data={Object.entries(s.strategies ?? {}).map(([name, value]) => ({ name, value }))} testId="strategies-chart" />
          </CardContent>
        </Card>
      </div>

      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Processes</CardTitle>
            <CardDescription>Heartbeats; the schedule beat proves beat → queue → worker end to end.</CardDescription>
          </CardHeader>
          <CardContent className="p-0 pb-2">
            <Table data-testid="heartbeats">
              <TableHeader>
                <TableRow>
                  <TableHead>Name</TableHead>
                  <TableHead>Kind</TableHead>
                  <TableHead>Queues</TableHead>
                  <TableHead className="text-right">Age</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {(s.heartbeats ?? []).map((h) => (
                  <TableRow key={h.name}>
                    <TableCell className="font-mono text-xs">{h.name}</TableCell>
                    <TableCell>{h.kind}</TableCell>
                    <TableCell className="text-xs">{h.queues.join(", ") || "—"}</TableCell>
                    <TableCell className="tabular text-right">
                      <Badge variant={h.age_seconds < 30 ? "success" : "danger"}>{h.age_seconds.toFixed(1)} s</Badge>
                    </TableCell>
                  </TableRow>
                ))}
                {Object.entries(s.queues).map(([q, depth]) => (
                  <TableRow key={`q-${q}`}>
                    <TableCell className="font-mono text-xs">queue {q}</TableCell>
                    <TableCell>queue</TableCell>
                    <TableCell className="text-xs">depth</TableCell>
                    <TableCell className="tabular text-right">
                      <Badge variant={depth > 100 ? "warning" : "muted"}>{depth}</Badge>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Recent errors</CardTitle>
            <CardDescription>The latest rejected or failed orders.</CardDescription>
          </CardHeader>
          <CardContent className="p-0 pb-2">
            {(s.recent_errors ?? []).length ? (
              <Table>
                <TableHeader>
                  <TableRow>
                    <TableHead>When</TableHead>
                    <TableHead>Order</TableHead>
                    <TableHead>Error</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {(s.recent_errors ?? []).map((e) => (
                    <TableRow key={e.id}>
                      <TableCell className="text-xs text-muted-foreground">{dateTime(e.updated_at)}</TableCell>
                      <TableCell className="text-xs">
                        {e.side} {e.symbol} · #{e.strategy_id} · <span className="text-red-700">{e.status}</span>
                      </TableCell>
                      <TableCell className="max-w-64 truncate text-xs" title={e.last_error}>
                        {e.last_error || "—"}
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            ) : (
              <p className="px-5 pb-3 text-sm text-muted-foreground">No rejected or failed orders.</p>
            )}
          </CardContent>
        </Card>
      </div>
    </div>
  );
}
