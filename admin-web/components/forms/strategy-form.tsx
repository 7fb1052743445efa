"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import { zodResolver } from "@hookform/resolvers/zod";
import { Loader2 } from "lucide-react";
import { Controller, useForm } from "react-hook-form";

import { createStrategyAction, updateStrategyAction } from "@/actions/trading";
import { Field, FormError } from "@/components/forms/field";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { applyFieldErrors } from "@/lib/api-error";
import { STRATEGY_FIELDS, WEEKDAYS, strategySchema, type StrategyInput, type StrategyValues } from "@/lib/schemas";
import { useUiStore } from "@/lib/stores/ui-store";
import type { BrokerAccount, Strategy } from "@/lib/types";
import { cn } from "@/lib/utils";

export function StrategyForm({ accounts, strategy }: { accounts: BrokerAccount[]; strategy?: Strategy }) {
  const router = useRouter();
  const toast = useUiStore((s) => s.toast);
  const [formError, setFormError] = useState<string | null>(null);
  const usable = accounts.filter((a) => a.status === "ACTIVE");
  const form = useForm<StrategyInput, unknown, StrategyValues>({
    resolver: zodResolver(strategySchema),
    defaultValues: strategy
      ? {
          name: strategy.name,
          symbol: strategy.symbol,
          exchange: strategy.exchange as "NSE" | "BSE",
          quantity: String(strategy.quantity),
          buy_time: strategy.buy_time,
          sell_time: strategy.sell_time,
          stop_loss: strategy.stop_loss,
          product: strategy.product as "MIS" | "CNC",
          broker_account: String(strategy.broker_account),
          days: strategy.days,
        }
      : {
          name: "",
          symbol: "",
          exchange: "NSE",
          quantity: "1",
          buy_time: "09:20:00",
          sell_time: "15:10:00",
          stop_loss: "",
          product: "MIS",
          broker_account: String((usable[0] ?? accounts[0])?.id ?? ""),
          days: [0, 1, 2, 3, 4],
        },
  });
  const { errors, isSubmitting } = form.formState;

  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    const res = strategy ? await updateStrategyAction(strategy.id, values) : await createStrategyAction(values);
    if (res.ok) {
      toast("success", strategy ? "Strategy saved." : `Strategy "${res.data.name}" created.`);
      router.push(`/strategies/${res.data.id}`);
      router.refresh();
    } else {
      setFormError(applyFieldErrors(form.setError as never, res.error, STRATEGY_FIELDS));
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-5" data-testid="strategy-form">
      <FormError message={formError} />
      <div className="grid gap-4 sm:grid-cols-2">
        <Field id="name" label="Name" error={errors.name?.message}>
          <Input id="name" placeholder="TCS morning momentum" aria-invalid={!!errors.name} {...form.register("name")} />
        </Field>
        <Field id="broker_account" label="Broker account" error={errors.broker_account?.message}>
          <Select id="broker_account" aria-invalid={!!errors.broker_account} {...form.register("broker_account")}>
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.label} ({a.broker}){a.status !== "ACTIVE" ? ` — ${a.status.replace("_", " ").toLowerCase()}` : ""}
              </option>
            ))}
          </Select>
        </Field>
        <Field id="symbol" label="Symbol" error={errors.symbol?.message} hint="NSE/BSE trading symbol, e.g. TCS, INFY, RELIANCE">
          <Input id="symbol" placeholder="TCS" className="uppercase" aria-invalid={!!errors.symbol} {...form.register("symbol")} />
        </Field>
        <div className="grid grid-cols-2 gap-4">
          <Field id="exchange" label="Exchange" error={errors.exchange?.message}>
            <Select id="exchange" {...form.register("exchange")}>
              <option value="NSE">NSE</option>
              <option value="BSE">BSE</option>
            </Select>
          </Field>
          <Field id="product" label="Product" error={errors.product?.message}>
            <Select id="product" {...form.register("product")}>
              <option value="MIS">Intraday (MIS)</option>
              <option value="CNC">Delivery (CNC)</option>
            </Select>
          </Field>
        </div>
        <Field id="quantity" label="Quantity (shares)" error={errors.quantity?.message}>
          <Input id="quantity" type="number" min={1} step={1} inputMode="numeric" aria-invalid={!!errors.quantity} {...form.register("quantity")} />
        </Field>
        <Field id="stop_loss" label="Stop-loss (₹)" error={errors.stop_loss?.message} hint="Sell at once when the price is at or below this">
          <Input id="stop_loss" inputMode="decimal" placeholder="3500.00" aria-invalid={!!errors.stop_loss} {...form.register("stop_loss")} />
        </Field>
        <Field id="buy_time" label="Buy time (IST)" error={errors.buy_time?.message}>
          <Input id="buy_time" type="time" step={1} aria-invalid={!!errors.buy_time} {...form.register("buy_time")} />
        </Field>
        <Field id="sell_time" label="Sell time (IST)" error={errors.sell_time?.message}>
          <Input id="sell_time" type="time" step={1} aria-invalid={!!errors.sell_time} {...form.register("sell_time")} />
        </Field>
      </div>
      <Controller
        control={form.control}
        name="days"
        render={({ field }) => {
          const selected = new Set((field.value ?? []).map(Number));
          return (
            <Field id="days" label="Trading days" error={errors.days?.message ?? (errors.days as { root?: { message?: string } } | undefined)?.root?.message}>
              <div id="days" className="flex flex-wrap gap-2" role="group" aria-label="Trading days">
                {WEEKDAYS.map((name, i) => (
                  <button
                    key={name}
                    type="button"
                    data-testid={`day-${i}`}
                    aria-pressed={selected.has(i)}
                    onClick={() => {
                      const next = new Set(selected);
                      if (next.has(i)) next.delete(i);
                      else next.add(i);
                      field.onChange([...next].sort());
                    }}
                    className={cn(
                      "h-8 rounded-md border px-3 text-sm transition-colors",
                      selected.has(i) ? "border-primary bg-primary text-primary-foreground" : "bg-background hover:bg-accent",
                    )}
                  >
                    {name}
                  </button>
                ))}
              </div>
            </Field>
          );
        }}
      />
      <div className="flex items-center gap-3 pt-2">
        <Button type="submit" disabled={isSubmitting} data-testid="strategy-submit">
          {isSubmitting ? <Loader2 className="animate-spin" /> : null}
          {strategy ? "Save changes" : "Create strategy"}
        </Button>
        <Button type="button" variant="ghost" onClick={() => router.back()}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
