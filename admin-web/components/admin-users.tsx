"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { zodResolver } from "@hookform/resolvers/zod";
import { Ban, CirclePlay, Loader2, Square, UserPlus } from "lucide-react";
import { useForm } from "react-hook-form";

import { activateUserAction, createUserAction, stopUserStrategiesAction, suspendUserAction } from "@/actions/admin";
import { Field, FormError } from "@/components/forms/field";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Dialog } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { applyFieldErrors } from "@/lib/api-error";
import { dateTime } from "@/lib/format";
import { adminUserSchema, type AdminUserValues } from "@/lib/schemas";
import { useUiStore } from "@/lib/stores/ui-store";
import type { AdminUser } from "@/lib/types";

const ROLE_VARIANT = { admin: "info", user: "secondary", broker: "warning" } as const;

export function AdminUsersTable({ users, selfId }: { users: AdminUser[]; selfId: number }) {
  const router = useRouter();
  const toast = useUiStore((s) => s.toast);
  const [suspending, setSuspending] = useState<AdminUser | null>(null);
  const [reason, setReason] = useState("");
  const [stopToo, setStopToo] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();

  const run = (fn: () => Promise<{ ok: boolean; error?: { message: string } }>, done: string) =>
    start(async () => {
      const res = await fn();
      if (res.ok) {
        toast("success", done);
        router.refresh();
      } else toast("error", res.error?.message ?? "Failed.");
    });

  return (
    <>
      <Table data-testid="users-table">
        <TableHeader>
          <TableRow>
            <TableHead>Email</TableHead>
            <TableHead>Role</TableHead>
            <TableHead>State</TableHead>
            <TableHead>Joined</TableHead>
            <TableHead>Last login</TableHead>
            <TableHead className="text-right">Actions</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {users.map((u) => (
            <TableRow key={u.id} data-testid="user-row" data-email={u.email}>
              <TableCell>
                <p className="font-medium">{u.email}</p>
                <p className="text-xs text-muted-foreground">#{u.id}</p>
              </TableCell>
              <TableCell>
                <Badge variant={ROLE_VARIANT[u.role] ?? "outline"}>
                  {u.role === "user" ? "trader" : u.role}
                  {u.broker ? ` · ${u.broker}` : ""}
                </Badge>
              </TableCell>
              <TableCell>
                {u.is_active ? (
                  <Badge variant="success" data-testid="user-state" data-value="active">active</Badge>
                ) : (
                  <div>
                    <Badge variant="danger" data-testid="user-state" data-value="suspended">suspended</Badge>
                    {u.suspended_reason ? <p className="mt-1 max-w-52 text-xs text-muted-foreground">{u.suspended_reason}</p> : null}
                  </div>
                )}
              </TableCell>
              <TableCell className="text-xs text-muted-foreground">{dateTime(u.date_joined)}</TableCell>
              <TableCell className="text-xs text-muted-foreground">{dateTime(u.last_login)}</TableCell>
              <TableCell>
                <div className="flex justify-end gap-1">
                  {u.role === "user" ? (
                    <Button size="sm" variant="ghost" disabled={pending} onClick={() => run(() => stopUserStrategiesAction(u.id, "Stopped by an admin"), "Strategies stopped.")} title="Stop all strategies">
                      <Square /> Stop all
                    </Button>
                  ) : null}
                  {u.id === selfId ? (
                    <span className="px-2 text-xs text-muted-foreground">you</span>
                  ) : u.is_active ? (
                    <Button size="sm" variant="outline" disabled={pending} onClick={() => { setSuspending(u); setReason(""); setStopToo(true); setError(null); }} data-testid="suspend-user">
                      <Ban /> Suspend
                    </Button>
                  ) : (
                    <Button size="sm" variant="outline" disabled={pending} onClick={() => run(() => activateUserAction(u.id), "User re-activated.")} data-testid="activate-user">
                      <CirclePlay /> Activate
                    </Button>
                  )}
                </div>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Dialog open={suspending !== null} onOpenChange={(o) => !o && setSuspending(null)} title={`Suspend ${suspending?.email ?? ""}`} description="Signs them out everywhere and refuses new logins until re-activated.">
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            if (!suspending) return;
            start(async () => {
              const res = await suspendUserAction(suspending.id, reason.trim(), stopToo);
              if (res.ok) {
                toast("success", `${res.data.email} suspended${stopToo ? `; ${res.data.stopped} strategies stopped` : ""}.`);
                setSuspending(null);
                router.refresh();
              } else setError(res.error.fields.reason?.join(" ") ?? res.error.message);
            });
          }}
        >
          <Field id="suspend-reason" label="Reason (shown to the user, audited)" error={error ?? undefined}>
            <Input id="suspend-reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={200} placeholder="Unusual order pattern" />
          </Field>
          <label className="flex items-center gap-2 text-sm">
            <Checkbox checked={stopToo} onChange={(e) => setStopToo(e.target.checked)} data-testid="suspend-stop-strategies" /> Also stop their running strategies
          </label>
          <div className="flex justify-end gap-2">
            <Button type="button" variant="ghost" onClick={() => setSuspending(null)}>
              Cancel
            </Button>
            <Button type="submit" variant="destructive" disabled={pending} data-testid="confirm-suspend">
              {pending ? <Loader2 className="animate-spin" /> : <Ban />} Suspend
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

export function CreateUserButton() {
  const router = useRouter();
  const toast = useUiStore((s) => s.toast);
  const [open, setOpen] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<AdminUserValues>({ resolver: zodResolver(adminUserSchema), defaultValues: { email: "", password: "", role: "user", broker: "" } });
  const { errors, isSubmitting } = form.formState;
  const role = form.watch("role");
  const submit = form.handleSubmit(async (values) => {
    setFormError(null);
    const res = await createUserAction(values);
    if (res.ok) {
      toast("success", `Created ${res.data.email}.`);
      setOpen(false);
      form.reset();
      router.refresh();
    } else setFormError(applyFieldErrors(form.setError as never, res.error, ["email", "password", "role", "broker"]));
  });
  return (
    <>
      <Button onClick={() => setOpen(true)}>
        <UserPlus /> New user
      </Button>
      <Dialog open={open} onOpenChange={setOpen} title="New user" description="Admins create admin and broker-staff accounts; traders can also register themselves.">
        <form onSubmit={submit} noValidate className="space-y-4">
          <FormError message={formError} />
          <Field id="nu-email" label="Email" error={errors.email?.message}>
            <Input id="nu-email" type="email" {...form.register("email")} />
          </Field>
          <Field id="nu-password" label="Initial password" error={errors.password?.message}>
            <Input id="nu-password" type="password" autoComplete="new-password" {...form.register("password")} />
          </Field>
          <div className="grid grid-cols-2 gap-4">
            <Field id="nu-role" label="Role" error={errors.role?.message}>
              <Select id="nu-role" {...form.register("role")}>
                <option value="user">Trader</option>
                <option value="admin">Admin</option>
                <option value="broker">Broker staff</option>
              </Select>
            </Field>
            {role === "broker" ? (
              <Field id="nu-broker" label="Broker" error={errors.broker?.message}>
                <Select id="nu-broker" {...form.register("broker")}>
                  <option value="">Pick…</option>
                  <option value="paper">Paper</option>
                  <option value="zerodha">Zerodha</option>
                  <option value="dhan">Dhan</option>
                  <option value="fyers">Fyers</option>
                  <option value="angelone">Angel One</option>
                </Select>
              </Field>
            ) : null}
          </div>
          <div className="flex justify-end">
            <Button type="submit" disabled={isSubmitting}>
              {isSubmitting ? <Loader2 className="animate-spin" /> : null} Create
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
