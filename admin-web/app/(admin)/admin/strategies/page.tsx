import type { Metadata } from "next";
import Link from "next/link";

import { AdminStrategiesTable } from "@/components/admin-strategies";
import { LiveRefresh } from "@/components/live-refresh";
import { PageHeader } from "@/components/page-header";
import { EmptyState, ErrorState } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { load } from "@/lib/server/backend";
import type { AdminStrategy, Paged } from "@/lib/types";

export const metadata: Metadata = { title: "All strategies" };

export default async function AdminStrategiesPage({ searchParams }: { searchParams: Promise<{ status?: string; broker?: string; symbol?: string; user?: string; page?: string }> }) {
  const q = await searchParams;
  const page = Math.max(1, Number(q.page) || 1);
  const data = await load<Paged<AdminStrategy>>("/api/admin/strategies", { query: { status: q.status, broker: q.broker, symbol: q.symbol?.toUpperCase(), user: q.user, page, page_size: 50 } });
  const params = (p: number) => new URLSearchParams(Object.entries({ ...q, page: String(p) }).filter(([, v]) => v) as [string, string][]).toString();
  return (
    <div className="space-y-4">
      <LiveRefresh />
      <PageHeader title="All strategies" description="Every trader's strategies with today's position, last order and the kill switch halting each." />
      <form className="flex flex-wrap items-end gap-2" role="search">
        <Input name="symbol" defaultValue={q.symbol} placeholder="Symbol" className="w-32 uppercase" />
        <Input name="user" defaultValue={q.user} placeholder="User id" className="w-28" inputMode="numeric" />
        <Select name="status" defaultValue={q.status ?? ""} className="w-36">
          <option value="">Any status</option>
          <option value="RUNNING">Running</option>
          <option value="STOPPED">Stopped</option>
          <option value="ERROR">Error</option>
        </Select>
        <Select name="broker" defaultValue={q.broker ?? ""} className="w-36">
          <option value="">Any broker</option>
          {["paper", "zerodha", "dhan", "fyers", "angelone"].map((b) => (
            <option key={b} value={b}>
              {b}
            </option>
          ))}
        </Select>
        <Button type="submit" variant="outline">
          Filter
        </Button>
      </form>
      {!data.ok ? (
        <ErrorState error={data.error} />
      ) : data.data.results.length === 0 ? (
        <EmptyState title="No strategies match" />
      ) : (
        <>
          <Card>
            <CardContent className="p-0">
              <AdminStrategiesTable rows={data.data.results} />
            </CardContent>
          </Card>
          <div className="flex items-center justify-between text-sm text-muted-foreground">
            <span>
              {data.data.count} strategies · page {data.data.page} of {Math.max(1, Math.ceil(data.data.count / data.data.page_size))}
            </span>
            <div className="flex gap-2">
              {page > 1 ? <Link className="hover:underline" href={`?${params(page - 1)}`}>← Previous</Link> : null}
              {page * data.data.page_size < data.data.count ? <Link className="hover:underline" href={`?${params(page + 1)}`}>Next →</Link> : null}
            </div>
          </div>
        </>
      )}
    </div>
  );
}
