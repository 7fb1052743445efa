import type { Metadata } from "next";

import { BrokerAccounts } from "@/components/broker-accounts";
import { ConnectBrokerForm } from "@/components/forms/broker-forms";
import { PageHeader } from "@/components/page-header";
import { ErrorState } from "@/components/states";
import { Alert, AlertDescription } from "@/components/ui/alert";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { load } from "@/lib/server/backend";
import type { BrokerAccount, BrokerInfo } from "@/lib/types";

export const metadata: Metadata = { title: "Brokers" };

export default async function BrokersPage({ searchParams }: { searchParams: Promise<{ welcome?: string }> }) {
  const { welcome } = await searchParams;
  const [accounts, brokers] = await Promise.all([load<BrokerAccount[]>("/api/broker/accounts"), load<BrokerInfo[]>("/api/broker/brokers")]);
  if (!accounts.ok) return <ErrorState error={accounts.error} />;
  if (!brokers.ok) return <ErrorState error={brokers.error} />;
  const now = Date.now();
  return (
    <div className="space-y-6">
      <PageHeader title="Brokers" description="Orders go to your own broker account. Credentials are encrypted at rest and never shown again." />
      {welcome ? (
        <Alert variant="success">
          <AlertDescription>Welcome! Connect the paper broker (no credentials needed) to try a strategy at any hour.</AlertDescription>
        </Alert>
      ) : null}
      <div className="grid items-start gap-6 lg:grid-cols-5">
        <Card className="lg:col-span-3">
          <CardHeader>
            <CardTitle>Your accounts</CardTitle>
            <CardDescription>Token status: a broker login usually lasts until early next morning; re-login when it expires.</CardDescription>
          </CardHeader>
          <CardContent className="p-0 pb-2">
            <BrokerAccounts accounts={accounts.data} brokers={brokers.data} now={now} />
          </CardContent>
        </Card>
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Connect a broker</CardTitle>
            <CardDescription>The credentials are checked with the broker before they are saved.</CardDescription>
          </CardHeader>
          <CardContent>
            <ConnectBrokerForm brokers={brokers.data.filter((b) => b.available)} />
          </CardContent>
        </Card>
      </div>
    </div>
  );
}
