import type { Metadata } from "next";
import Link from "next/link";
import { Plus } from "lucide-react";

import { LiveStrategyTable } from "@/components/live-strategy-table";
import { PageHeader } from "@/components/page-header";
import { EmptyState, ErrorState } from "@/components/states";
import { buttonVariants } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { load } from "@/lib/server/backend";
import type { BrokerAccount, Dashboard, Strategy } from "@/lib/types";

export const metadata: Metadata = { title: "Strategies" };

export default async function StrategiesPage() {
  const [list, dash, accounts] = await Promise.all([
    load<Strategy[]>("/api/strategy/list"),
    load<Dashboard>("/api/dashboard", { query: { page_size: 1 } }),
    load<BrokerAccount[]>("/api/broker/accounts"),
  ]);
  if (!list.ok) return <ErrorState error={list.error} />;
  const positions = Object.fromEntries((dash.ok ? dash.data.positions : []).map((p) => [p.strategy, p.position]));
  const labels = Object.fromEntries((accounts.ok ? accounts.data : []).map((a) => [a.id, a.label]));

  return (
    <div>
      <PageHeader
        title="Strategies"
        description="Each running strategy buys at its buy time, sells at its sell time, and exits at once at the stop-loss."
        actions={
          <Link href="/strategies/new" className={buttonVariants()} data-testid="new-strategy">
            <Plus /> New strategy
          </Link>
        }
      />
      {list.data.length === 0 ? (
        <EmptyState title="No strategies yet">
          <Link href="/strategies/new" className="text-primary hover:underline">
            Create your first strategy
          </Link>{" "}
          — it runs on the paper broker until you connect a real one.
        </EmptyState>
      ) : (
        <Card>
          <CardContent className="p-0">
            <LiveStrategyTable strategies={list.data} positions={positions} accountLabels={labels} />
          </CardContent>
        </Card>
      )}
    </div>
  );
}
