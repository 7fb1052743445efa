import type { Metadata } from "next";
import Link from "next/link";

import { BacktestForm } from "@/components/forms/backtest-form";
import { PollRefresh } from "@/components/live-refresh";
import { PageHeader } from "@/components/page-header";
import { EmptyState, ErrorState } from "@/components/states";
import { StatusBadge } from "@/components/status-badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { dateTime } from "@/lib/format";
import { load } from "@/lib/server/backend";
import type { BacktestRun, Paged } from "@/lib/types";

export const metadata: Metadata = { title: "Playground" };

export default async function PlaygroundPage() {
  const [runs, samples] = await Promise.all([
    load<Paged<BacktestRun>>("/api/playground/runs", { query: { page_size: 20 } }),
    load<{ symbol: string; first_day: string; last_day: string }[]>("/api/playground/samples"),
  ]);
  if (!runs.ok) return <ErrorState error={runs.error} />;
  const active = runs.data.results.some((r) => r.status === "QUEUED" || r.status === "RUNNING");
  return (
    <div className="space-y-6">
      <PollRefresh active={active} />
      <PageHeader title="Playground" description="Backtest the buy-time / sell-time / stop-loss rule on minute bars before risking money." />
      <div className="grid gap-6 lg:grid-cols-5">
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>New backtest</CardTitle>
            <CardDescription>
              {samples.ok && samples.data.length
                ? `Bundled sample: ${samples.data.map((s) => s.symbol).join(", ")} (${samples.data[0].first_day} to ${samples.data[0].last_day}).`
                : "Bundled sample data, a seeded random walk, or your own CSV."}
            </CardDescription>
          </CardHeader>
          <CardContent>
            <BacktestForm samples={samples.ok ? samples.data : []} />
          </CardContent>
        </Card>
        <Card className="lg:col-span-3">
          <CardHeader>
            <CardTitle>Runs</CardTitle>
          </CardHeader>
          <CardContent className="p-0 pb-2">
            {runs.data.results.length === 0 ? (
              <div className="px-5 pb-4">
                <EmptyState title="No backtests yet" />
              </div>
            ) : (
              <Table data-testid="runs-table">
                <TableHeader>
                  <TableRow>
                    <TableHead>#</TableHead>
                    <TableHead>Source</TableHead>
                    <TableHead>Symbol</TableHead>
                    <TableHead>Rules</TableHead>
                    <TableHead>Status</TableHead>
                    <TableHead>Started</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {runs.data.results.map((r) => {
                    const p = r.params as Record<string, string | number | undefined>;
                    return (
                      <TableRow key={r.id}>
                        <TableCell>
                          <Link href={`/playground/${r.id}`} className="font-medium text-primary hover:underline">
                            #{r.id}
                          </Link>
                        </TableCell>
                        <TableCell>{r.source}</TableCell>
                        <TableCell className="font-mono text-xs">{p.symbol ?? "—"}</TableCell>
                        <TableCell className="tabular text-xs text-muted-foreground">
                          {p.buy_time} → {p.sell_time} · SL {p.stop_loss}
                        </TableCell>
                        <TableCell>
                          <div className="flex items-center gap-2">
                            <StatusBadge kind="run" value={r.status} />
                            {r.status === "RUNNING" ? <span className="tabular text-xs text-muted-foreground">{r.progress}%</span> : null}
                          </div>
                        </TableCell>
                        <TableCell className="text-xs text-muted-foreground">{dateTime(r.created_at)}</TableCell>
                      </TableRow>
                    );
                  })}
                </TableBody>
              </Table>
            )}
          </CardContent>
        </Card>
      </div>
    </div>
  );
}
