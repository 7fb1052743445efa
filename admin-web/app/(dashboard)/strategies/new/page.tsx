import type { Metadata } from "next";
import Link from "next/link";

import { StrategyForm } from "@/components/forms/strategy-form";
import { PageHeader } from "@/components/page-header";
import { EmptyState, ErrorState } from "@/components/states";
import { Card, CardContent } from "@/components/ui/card";
import { load } from "@/lib/server/backend";
import type { BrokerAccount } from "@/lib/types";

export const metadata: Metadata = { title: "New strategy" };

export default async function NewStrategyPage() {
  const accounts = await load<BrokerAccount[]>("/api/broker/accounts");
  if (!accounts.ok) return <ErrorState error={accounts.error} />;
  return (
    <div className="max-w-3xl">
      <PageHeader title="New strategy" description="Times are in IST with second precision. The strategy starts stopped; start it from its page." />
      {accounts.data.length === 0 ? (
        <EmptyState title="Connect a broker first">
          <Link href="/brokers" className="text-primary hover:underline">
            Connect the paper broker
          </Link>{" "}
          (no credentials needed) or your own.
        </EmptyState>
      ) : (
        <Card>
          <CardContent className="pt-5">
            <StrategyForm accounts={accounts.data} />
          </CardContent>
        </Card>
      )}
    </div>
  );
}
