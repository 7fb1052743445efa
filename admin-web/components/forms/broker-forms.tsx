"use client";

import { useMemo, useState } from "react";
import { useRouter } from "next/navigation";
import { zodResolver } from "@hookform/resolvers/zod";
import { Loader2 } from "lucide-react";
import { useForm } from "react-hook-form";

import { brokerCredentialsAction, connectBrokerAction, reloginBrokerAction } from "@/actions/trading";
import { Field, FormError } from "@/components/forms/field";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { applyFieldErrors } from "@/lib/api-error";
import { brokerConnectSchema, type BrokerConnectValues } from "@/lib/schemas";
import { useUiStore } from "@/lib/stores/ui-store";
import type { BrokerAccount, BrokerInfo } from "@/lib/types";

function CredentialsForm({
  broker,
  submitLabel,
  onSubmit,
  showLabel = true,
  partial = false,
}: {
  broker: BrokerInfo;
  submitLabel: string;
  onSubmit: (values: BrokerConnectValues) => Promise<{ ok: true } | { ok: false; error: Parameters<typeof applyFieldErrors>[1] }>;
  showLabel?: boolean;
  partial?: boolean;
}) {
  const schema = useMemo(() => brokerConnectSchema(broker.credential_fields, { partial }), [broker, partial]);
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<BrokerConnectValues>({
    resolver: zodResolver(schema) as never,
    defaultValues: { broker: broker.name, label: "", credentials: Object.fromEntries(broker.credential_fields.map((f) => [f.name, ""])) },
  });
  const { errors, isSubmitting } = form.formState;
  const known = ["broker", "label", "credentials", ...broker.credential_fields.map((f) => `credentials.${f.name}`)];

  const submit = form.handleSubmit(async (values) => {
    setFormError(null);
    const res = await onSubmit(values);
    if (!res.ok) setFormError(applyFieldErrors(form.setError as never, res.error, known));
    else form.reset();
  });

  const credErrors = (errors.credentials ?? {}) as Record<string, { message?: string }> & { message?: string; root?: { message?: string } };
  return (
    <form onSubmit={submit} noValidate className="space-y-4" data-testid={`connect-form-${broker.name}`}>
      <FormError message={formError} />
      <input type="hidden" {...form.register("broker")} />
      {broker.credential_fields.map((f) => (
        <Field key={f.name} id={`cred-${f.name}`} label={`${f.label}${f.required && !partial ? "" : " (optional)"}`} error={credErrors[f.name]?.message}>
          <Input id={`cred-${f.name}`} type={f.secret ? "password" : "text"} autoComplete="off" aria-invalid={!!credErrors[f.name]} {...form.register(`credentials.${f.name}`)} />
        </Field>
      ))}
      {credErrors.message || credErrors.root?.message ? <p className="text-xs font-medium text-destructive">{credErrors.message ?? credErrors.root?.message}</p> : null}
      {showLabel ? (
        <Field id="label" label="Label (optional)" error={errors.label?.message} hint="How this account is named in your strategies">
          <Input id="label" placeholder={broker.display_name} {...form.register("label")} />
        </Field>
      ) : null}
      <Button type="submit" disabled={isSubmitting} className="w-full" data-testid="connect-submit">
        {isSubmitting ? <Loader2 className="animate-spin" /> : null} {submitLabel}
      </Button>
    </form>
  );
}

export function ConnectBrokerForm({ brokers }: { brokers: BrokerInfo[] }) {
  const router = useRouter();
  const toast = useUiStore((s) => s.toast);
  const [name, setName] = useState(brokers[0]?.name ?? "paper");
  const broker = brokers.find((b) => b.name === name);
  return (
    <div className="space-y-4">
      <Field id="broker" label="Broker">
        <Select id="broker" value={name} onChange={(e) => setName(e.target.value)} data-testid="broker-select">
          {brokers.map((b) => (
            <option key={b.name} value={b.name}>
              {b.display_name}
            </option>
          ))}
        </Select>
      </Field>
      {broker?.name === "paper" ? <p className="text-xs text-muted-foreground">The paper broker fills at the market price at once. Nothing leaves this server.</p> : null}
      {broker ? (
        <CredentialsForm
          key={broker.name}
          broker={broker}
          submitLabel={`Connect ${broker.display_name}`}
          onSubmit={async (values) => {
            const res = await connectBrokerAction(values);
            if (res.ok) {
              toast("success", `Connected "${res.data.label}".`);
              router.refresh();
              return { ok: true };
            }
            return res;
          }}
        />
      ) : null}
    </div>
  );
}

export function ReloginForm({ account, broker, onDone }: { account: BrokerAccount; broker: BrokerInfo; onDone: () => void }) {
  const router = useRouter();
  const toast = useUiStore((s) => s.toast);
  return (
    <CredentialsForm
      broker={broker}
      submitLabel="Log in again"
      showLabel={false}
      onSubmit={async (values) => {
        const res = await reloginBrokerAction(account.id, values);
        if (!res.ok) return res;
        const { moved, kept } = res.data;
        toast(kept.length ? "info" : "success", kept.length ? `Logged in. ${moved} strategies moved; ${kept.length} stay on the old account until their position closes.` : `Logged in again; ${moved} strategies use the new login.`);
        onDone();
        router.refresh();
        return { ok: true };
      }}
    />
  );
}

/** Send new credentials for a stored account (Dhan's daily access token, a rotated secret). */
export function UpdateCredentialsForm({ account, broker, onDone }: { account: BrokerAccount; broker: BrokerInfo; onDone: () => void }) {
  const router = useRouter();
  const toast = useUiStore((s) => s.toast);
  return (
    <CredentialsForm
      broker={broker}
      partial
      submitLabel="Save and check with the broker"
      showLabel={false}
      onSubmit={async (values) => {
        const res = await brokerCredentialsAction(account.id, values);
        if (!res.ok) return res;
        toast("success", `${res.data.label}: logged in again.`);
        onDone();
        router.refresh();
        return { ok: true };
      }}
    />
  );
}
