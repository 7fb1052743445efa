"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { OctagonX } from "lucide-react";

import { brokerHaltAction, brokerReleaseAction } from "@/actions/admin";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Checkbox } from "@/components/ui/checkbox";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { dateTime } from "@/lib/format";
import { useUiStore } from "@/lib/stores/ui-store";
import type { KillSwitch } from "@/lib/types";

/** Broker staff halt (and release) their own broker's order flow. */
export function BrokerHaltPanel({ halts, canHalt }: { halts: KillSwitch[]; canHalt: boolean }) {
  const router = useRouter();
  const toast = useUiStore((s) => s.toast);
  const [reason, setReason] = useState("");
  const [squareOff, setSquareOff] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();

  return (
    <Card>
      <CardHeader>
        <CardTitle>Halt the flow</CardTitle>
        <CardDescription>Stops every strategy on this broker and refuses new entries until released. Audited.</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        {halts.length ? (
          <ul className="space-y-2">
            {halts.map((h) => (
              <li key={h.id} className="flex items-center justify-between rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm">
                <span>
                  <b>Halted</b> since {dateTime(h.created_at)} by {h.created_by ?? "?"}: {h.reason}
                </span>
                {canHalt ? (
                  <Button size="sm" variant="outline" disabled={pending} onClick={() => start(async () => {
                    const res = await brokerReleaseAction(h.id);
                    if (res.ok) { toast("success", "Flow released."); router.refresh(); } else toast("error", res.error.message);
                  })}>
                    Release
                  </Button>
                ) : null}
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-muted-foreground">The flow is not halted.</p>
        )}
        {canHalt ? (
          <form
            className="flex flex-wrap items-end gap-3"
            onSubmit={(e) => {
              e.preventDefault();
              setError(null);
              if (!reason.trim()) return setError("Say why.");
              start(async () => {
                const res = await brokerHaltAction(reason.trim(), squareOff);
                if (res.ok) {
                  toast("success", `Halted: ${res.data.stopped} strategies stopped.`);
                  setReason("");
                  router.refresh();
                } else setError(res.error.fields.reason?.join(" ") ?? res.error.message);
              });
            }}
          >
            <div className="min-w-64 flex-1 space-y-1.5">
              <Label htmlFor="halt-reason">Reason</Label>
              <Input id="halt-reason" value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Exchange connectivity issue" aria-invalid={!!error} />
              {error ? <p className="text-xs text-destructive">{error}</p> : null}
            </div>
            <label className="flex items-center gap-2 pb-2 text-sm">
              <Checkbox checked={squareOff} onChange={(e) => setSquareOff(e.target.checked)} /> Square off open positions
            </label>
            <Button type="submit" variant="destructive" disabled={pending}>
              <OctagonX /> Halt broker flow
            </Button>
          </form>
        ) : null}
      </CardContent>
    </Card>
  );
}
