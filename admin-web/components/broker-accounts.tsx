"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { KeyRound, Trash2 } from "lucide-react";

import { brokerLoginStartAction, deleteBrokerAccountAction } from "@/actions/trading";
import { ReloginForm, UpdateCredentialsForm } from "@/components/forms/broker-forms";
import { EmptyState } from "@/components/states";
import { StatusBadge } from "@/components/status-badge";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { dateTime } from "@/lib/format";
import { useUiStore } from "@/lib/stores/ui-store";
import type { BrokerAccount, BrokerInfo } from "@/lib/types";

/** Token status of an account: no expiry (paper), renews itself, valid for …, expiring soon, expired. */
export function tokenStatus(account: BrokerAccount, now: number): { text: string; variant: "success" | "warning" | "danger" | "muted" } {
  if (account.status === "NEEDS_LOGIN") return { text: "Re-login needed", variant: "danger" };
  if (account.status === "DISABLED") return { text: "Disabled", variant: "danger" };
  if (account.token_valid === false) return { text: "Expired", variant: "danger" };
  if (!account.token_valid_until) return { text: account.login_method === "totp" ? "Renews itself" : "No expiry", variant: "muted" };
  const left = new Date(account.token_valid_until).getTime() - now;
  if (left <= 0) return { text: "Expired", variant: "danger" };
  const hours = Math.floor(left / 3_600_000);
  const minutes = Math.floor((left % 3_600_000) / 60_000);
  const text = hours ? `Valid ${hours} h ${minutes} min` : `Valid ${minutes} min`;
  return { text, variant: left < 2 * 3_600_000 ? "warning" : "success" };
}

export function BrokerAccounts({ accounts, brokers, now }: { accounts: BrokerAccount[]; brokers: BrokerInfo[]; now: number }) {
  const router = useRouter();
  const toast = useUiStore((s) => s.toast);
  const [relogin, setRelogin] = useState<BrokerAccount | null>(null);
  const [update, setUpdate] = useState<BrokerAccount | null>(null);
  const [pending, startTransition] = useTransition();
  const names = Object.fromEntries(brokers.map((b) => [b.name, b]));

  if (!accounts.length)
    return (
      <div className="px-5 pb-4">
        <EmptyState title="No broker connected">Connect the paper broker on the right to start.</EmptyState>
      </div>
    );

  return (
    <>
      <Table data-testid="broker-accounts">
        <TableHeader>
          <TableRow>
            <TableHead>Account</TableHead>
            <TableHead>Status</TableHead>
            <TableHead>Token</TableHead>
            <TableHead>Connected</TableHead>
            <TableHead className="text-right">Actions</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {accounts.map((a) => {
            const token = tokenStatus(a, now);
            return (
              <TableRow key={a.id} data-testid={`broker-account-${a.broker}`}>
                <TableCell>
                  <p className="font-medium">{a.label}</p>
                  <p className="text-xs text-muted-foreground">{names[a.broker]?.display_name ?? a.broker}</p>
                </TableCell>
                <TableCell>
                  <StatusBadge kind="account" value={a.status} />
                  {a.status_reason ? <p className="mt-1 max-w-56 text-xs text-muted-foreground">{a.status_reason}</p> : null}
                </TableCell>
                <TableCell>
                  <Badge variant={token.variant} title={a.token_valid_until ? `Until ${dateTime(a.token_valid_until)}` : undefined}>
                    {token.text}
                  </Badge>
                </TableCell>
                <TableCell className="text-xs text-muted-foreground">{dateTime(a.created_at)}</TableCell>
                <TableCell className="text-right">
                  <div className="flex justify-end gap-1">
                    {a.broker !== "paper" && names[a.broker] ? (
                      <Button
                        size="sm"
                        variant={token.variant === "danger" || token.variant === "warning" ? "default" : "outline"}
                        disabled={pending}
                        data-testid={`relogin-${a.id}`}
                        onClick={() => {
                          if (a.login_method === undefined) return setRelogin(a); // older API: reconnect
                          if (a.login_method === "token") return setUpdate(a);
                          startTransition(async () => {
                            const res = await brokerLoginStartAction(a.id);
                            if (!res.ok) return toast("error", res.error.message);
                            if (res.data.login_url) window.location.assign(res.data.login_url);
                            else {
                              toast("success", res.data.message || "Logged in again.");
                              router.refresh();
                            }
                          });
                        }}
                      >
                        <KeyRound /> {a.login_method === "redirect" ? "Log in at broker" : a.login_method === "token" ? "New token" : "Re-login"}
                      </Button>
                    ) : null}
                    <Button
                      size="sm"
                      variant="ghost"
                      disabled={pending}
                      aria-label={`Remove ${a.label}`}
                      onClick={() =>
                        startTransition(async () => {
                          if (!window.confirm(`Remove "${a.label}"? Strategies using it must be deleted or moved first.`)) return;
                          const res = await deleteBrokerAccountAction(a.id);
                          if (res.ok) {
                            toast("success", "Account removed.");
                            router.refresh();
                          } else toast("error", res.error.message);
                        })
                      }
                    >
                      <Trash2 />
                    </Button>
                  </div>
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
      <Dialog
        open={relogin !== null}
        onOpenChange={(open) => !open && setRelogin(null)}
        title={`Log in to ${relogin ? names[relogin.broker]?.display_name ?? relogin.broker : ""} again`}
        description="Enter a fresh access token or credentials. The strategies of this account move to the new login."
      >
        {relogin && names[relogin.broker] ? <ReloginForm account={relogin} broker={names[relogin.broker]} onDone={() => setRelogin(null)} /> : null}
      </Dialog>
      <Dialog
        open={update !== null}
        onOpenChange={(open) => !open && setUpdate(null)}
        title={`New credentials for ${update?.label ?? ""}`}
        description="Paste today's access token (or a rotated secret). It is checked with the broker and stored encrypted."
      >
        {update && names[update.broker] ? <UpdateCredentialsForm account={update} broker={names[update.broker]} onDone={() => setUpdate(null)} /> : null}
      </Dialog>
    </>
  );
}
