import type { Metadata } from "next";
import Link from "next/link";
import { CheckCircle2 } from "lucide-react";

import { PageHeader } from "@/components/page-header";
import { ErrorState } from "@/components/states";
import { buttonVariants } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { dateTime } from "@/lib/format";
import { load } from "@/lib/server/backend";
import type { BrokerAccount } from "@/lib/types";

export const metadata: Metadata = { title: "Broker login" };

const PASSED = ["state", "request_token", "auth_code", "status", "action", "type", "s", "code"];

/**
 * Where Zerodha / Fyers send the user back after their login (set the backend's
 * BROKER_LOGIN_CALLBACK_URL to http(s)://<this app>/brokers/callback): the code is handed to
 * POST /api/broker/login/callback, which checks the signed state and stores the session.
 */
export default async function BrokerCallbackPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = await searchParams;
  const params = Object.fromEntries(PASSED.flatMap((k) => (typeof raw[k] === "string" ? [[k, raw[k] as string]] : [])));
  if (!params.state) return <ErrorState error={{ code: "invalid", message: "The broker did not send the login back (no state).", fields: {} }} title="Login not completed" />;
  const res = await load<BrokerAccount>("/api/broker/login/callback", { method: "POST", body: params });
  return (
    <div className="max-w-xl space-y-4">
      <PageHeader title="Broker login" />
      {res.ok ? (
        <Card>
          <CardContent className="flex items-start gap-3 pt-5">
            <CheckCircle2 className="mt-0.5 size-5 text-emerald-600" />
            <div className="space-y-1 text-sm">
              <p className="font-medium">{res.data.label} is logged in.</p>
              <p className="text-muted-foreground">{res.data.token_valid_until ? `The session lasts until ${dateTime(res.data.token_valid_until)}.` : "Your strategies can trade."}</p>
            </div>
          </CardContent>
        </Card>
      ) : (
        <ErrorState error={res.error} title="Login not completed" />
      )}
      <Link href="/brokers" className={buttonVariants({ variant: "outline" })}>
        Back to brokers
      </Link>
    </div>
  );
}
