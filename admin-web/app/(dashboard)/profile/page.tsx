import type { Metadata } from "next";

import { NotificationsPanel } from "@/components/notifications-panel";
import { PageHeader } from "@/components/page-header";
import { ErrorState } from "@/components/states";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { dateTime } from "@/lib/format";
import { load } from "@/lib/server/backend";
import type { Me, Notification } from "@/lib/types";

export const metadata: Metadata = { title: "Profile" };

const ROLE: Record<string, string> = { admin: "Administrator", user: "Trader", broker: "Broker staff" };

export default async function ProfilePage() {
  const [me, notes] = await Promise.all([
    load<Me>("/api/me"),
    load<{ count: number; unread: number; results: Notification[] }>("/api/notifications", { query: { page_size: 20 } }),
  ]);
  if (!me.ok) return <ErrorState error={me.error} />;
  return (
    <div className="space-y-6">
      <PageHeader title="Profile" description="Your account and the notifications the platform sent you." />
      <div className="grid gap-6 lg:grid-cols-3">
        <Card>
          <CardHeader>
            <CardTitle>Account</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid grid-cols-3 gap-y-3 text-sm">
              <dt className="text-muted-foreground">Email</dt>
              <dd className="col-span-2 break-all font-medium" data-testid="profile-email">{me.data.email}</dd>
              <dt className="text-muted-foreground">Role</dt>
              <dd className="col-span-2">{ROLE[me.data.role] ?? me.data.role}</dd>
              {me.data.broker ? (
                <>
                  <dt className="text-muted-foreground">Broker</dt>
                  <dd className="col-span-2">{me.data.broker}</dd>
                </>
              ) : null}
              <dt className="text-muted-foreground">Member since</dt>
              <dd className="col-span-2">{dateTime(me.data.date_joined)}</dd>
            </dl>
          </CardContent>
        </Card>
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Notifications {notes.ok && notes.data.unread ? <span className="text-sm font-normal text-muted-foreground">({notes.data.unread} unread)</span> : null}</CardTitle>
          </CardHeader>
          <CardContent>{notes.ok ? <NotificationsPanel items={notes.data.results} unread={notes.data.unread} /> : <ErrorState error={notes.error} />}</CardContent>
        </Card>
      </div>
    </div>
  );
}
