"use client";

import { useTransition } from "react";
import { useRouter } from "next/navigation";
import { Bell } from "lucide-react";

import { markNotificationsReadAction } from "@/actions/trading";
import { Button } from "@/components/ui/button";
import { dateTime } from "@/lib/format";
import type { Notification } from "@/lib/types";
import { cn } from "@/lib/utils";

export function NotificationsPanel({ items, unread }: { items: Notification[]; unread: number }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  if (!items.length) return <p className="text-sm text-muted-foreground">Nothing yet. Fills, stop-loss exits, failed orders and broker logins that expire are reported here.</p>;
  return (
    <div className="space-y-3">
      {unread ? (
        <Button size="sm" variant="outline" disabled={pending} onClick={() => start(async () => void (await markNotificationsReadAction(), router.refresh()))}>
          Mark all read
        </Button>
      ) : null}
      <ul className="divide-y rounded-lg border">
        {items.map((n) => (
          <li key={n.id} className={cn("flex gap-3 px-4 py-3", !n.read_at && "bg-indigo-50/50")}>
            <Bell className={cn("mt-0.5 size-4 shrink-0", n.read_at ? "text-muted-foreground" : "text-primary")} />
            <div className="min-w-0 flex-1">
              <p className="text-sm font-medium">{n.title}</p>
              {n.body ? <p className="text-sm text-muted-foreground">{n.body}</p> : null}
            </div>
            <span className="shrink-0 text-xs text-muted-foreground">{dateTime(n.created_at)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
