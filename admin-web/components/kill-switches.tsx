"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { zodResolver } from "@hookform/resolvers/zod";
import { Loader2, OctagonX, ShieldCheck } from "lucide-react";
import { useForm } from "react-hook-form";

import { engageKillSwitchAction, releaseKillSwitchAction } from "@/actions/admin";
import { Field, FormError } from "@/components/forms/field";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Checkbox } from "@/components/ui/checkbox";
import { Dialog } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { applyFieldErrors } from "@/lib/api-error";
import { dateTime } from "@/lib/format";
import { killSwitchSchema, type KillSwitchValues } from "@/lib/schemas";
import { useUiStore } from "@/lib/stores/ui-store";
import type { KillSwitch } from "@/lib/types";

export function KillSwitchPanel({ active, summary }: { active: KillSwitch[]; summary: Record<string, string> }) {
  const router = useRouter();
  const toast = useUiStore((s) => s.toast);
  const [open, setOpen] = useState(false);
  const [pending, start] = useTransition();
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<KillSwitchValues>({ resolver: zodResolver(killSwitchSchema), defaultValues: { scope: "global", target: "", reason: "", square_off: false } });
  const { errors, isSubmitting } = form.formState;
  const scope = form.watch("scope");
  const globalOn = active.some((k) => k.scope === "global");

  const submit = form.handleSubmit(async (values) => {
    setFormError(null);
    const res = await engageKillSwitchAction(values);
    if (res.ok) {
      const d = res.data;
      toast("success", `Kill switch #${d.switch.id} (${d.switch.scope}) engaged: ${d.stopped} strategies stopped${d.squared_off ? `, ${d.squared_off} positions squared off` : ""}.`);
      setOpen(false);
      form.reset();
      router.refresh();
    } else setFormError(applyFieldErrors(form.setError as never, res.error, ["scope", "target", "reason", "square_off"]));
  });

  return (
    <Card className={globalOn ? "border-red-300" : undefined} data-testid="kill-switch-panel">
      <CardHeader className="flex-row items-start justify-between gap-4">
        <div>
          <CardTitle className="flex items-center gap-2">
            Kill switches {active.length ? <Badge variant="danger" data-testid="kill-count">{active.length} active</Badge> : <Badge variant="success">none active</Badge>}
          </CardTitle>
          <CardDescription className="mt-1.5">Global, per user, per broker or per strategy. Engaging stops the affected strategies and refuses new entries; exits still pass.</CardDescription>
        </div>
        <Button variant="destructive" onClick={() => setOpen(true)} data-testid="open-kill-switch">
          <OctagonX /> Engage kill switch
        </Button>
      </CardHeader>
      <CardContent>
        {active.length ? (
          <ul className="space-y-2" data-testid="active-kill-switches">
            {active.map((k) => (
              <li key={k.id} className="flex flex-wrap items-center justify-between gap-2 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm" data-scope={k.scope}>
                <span>
                  <Badge variant="danger" className="mr-2">
                    #{k.id} {k.scope}
                    {k.target ? `:${k.target}` : ""}
                  </Badge>
                  {k.reason} <span className="text-xs text-muted-foreground">— {k.created_by ?? "?"}, {dateTime(k.created_at)}{k.square_off ? ", squared off" : ""}</span>
                </span>
                <Button
                  size="sm"
                  variant="outline"
                  disabled={pending}
                  onClick={() =>
                    start(async () => {
                      const res = await releaseKillSwitchAction(k.id, "Released from the admin web");
                      if (res.ok) {
                        toast("success", `Kill switch #${k.id} released. Stopped strategies stay stopped.`);
                        router.refresh();
                      } else toast("error", res.error.message);
                    })
                  }
                >
                  <ShieldCheck /> Release
                </Button>
              </li>
            ))}
          </ul>
        ) : Object.keys(summary).length ? (
          <ul className="text-sm">{Object.entries(summary).map(([k, v]) => <li key={k}>{v}</li>)}</ul>
        ) : (
          <p className="text-sm text-muted-foreground">Trading flows normally.</p>
        )}
      </CardContent>
      <Dialog open={open} onOpenChange={setOpen} title="Engage a kill switch" description="Recorded in the audit log. The affected traders are notified.">
        <form onSubmit={submit} noValidate className="space-y-4" data-testid="kill-switch-form">
          <FormError message={formError} />
          <div className="grid grid-cols-2 gap-4">
            <Field id="ks-scope" label="Scope" error={errors.scope?.message}>
              <Select id="ks-scope" {...form.register("scope")}>
                <option value="global">Global (everything)</option>
                <option value="user">One user</option>
                <option value="broker">One broker</option>
                <option value="strategy">One strategy</option>
              </Select>
            </Field>
            {scope !== "global" ? (
              <Field id="ks-target" label={scope === "broker" ? "Broker" : scope === "user" ? "User id" : "Strategy id"} error={errors.target?.message}>
                <Input id="ks-target" placeholder={scope === "broker" ? "zerodha" : "42"} {...form.register("target")} />
              </Field>
            ) : null}
          </div>
          <Field id="ks-reason" label="Reason" error={errors.reason?.message}>
            <Input id="ks-reason" placeholder="Exchange issue: halting all entries" {...form.register("reason")} />
          </Field>
          <label className="flex items-center gap-2 text-sm">
            <Checkbox {...form.register("square_off")} /> Square off today&apos;s open positions (SELL with reason KILL)
          </label>
          <div className="flex justify-end gap-2">
            <Button type="button" variant="ghost" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button type="submit" variant="destructive" disabled={isSubmitting} data-testid="engage-kill-switch">
              {isSubmitting ? <Loader2 className="animate-spin" /> : <OctagonX />} Engage
            </Button>
          </div>
        </form>
      </Dialog>
    </Card>
  );
}
