"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import { zodResolver } from "@hookform/resolvers/zod";
import { Loader2 } from "lucide-react";
import { useForm } from "react-hook-form";

import { startBacktestAction } from "@/actions/trading";
import { Field, FormError } from "@/components/forms/field";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { Textarea } from "@/components/ui/textarea";
import { applyFieldErrors } from "@/lib/api-error";
import { backtestSchema, type BacktestInput, type BacktestValues } from "@/lib/schemas";

const FIELDS = ["source", "symbol", "start", "end", "buy_time", "sell_time", "stop_loss", "quantity", "seed", "csv"];

export function BacktestForm({ samples }: { samples: { symbol: string; first_day: string; last_day: string }[] }) {
  const router = useRouter();
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<BacktestInput, unknown, BacktestValues>({
    resolver: zodResolver(backtestSchema),
    defaultValues: {
      source: "sample",
      symbol: samples[0]?.symbol ?? "INFY",
      start: "",
      end: "",
      buy_time: "09:20:00",
      sell_time: "15:10:00",
      stop_loss: "1400",
      quantity: "10",
      seed: "42",
      csv: "",
    },
  });
  const { errors, isSubmitting } = form.formState;
  const source = form.watch("source");

  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    const res = await startBacktestAction(values);
    if (res.ok) router.push(`/playground/${res.data.id}`);
    else setFormError(applyFieldErrors(form.setError as never, res.error, FIELDS));
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4" data-testid="backtest-form">
      <FormError message={formError} />
      <div className="grid grid-cols-2 gap-4">
        <Field id="source" label="Data" error={errors.source?.message}>
          <Select id="source" {...form.register("source")}>
            <option value="sample">Bundled sample</option>
            <option value="random">Random walk</option>
            <option value="upload">Paste CSV</option>
          </Select>
        </Field>
        <Field id="symbol" label="Symbol" error={errors.symbol?.message}>
          {source === "sample" && samples.length ? (
            <Select id="symbol" {...form.register("symbol")}>
              {samples.map((s) => (
                <option key={s.symbol} value={s.symbol}>
                  {s.symbol}
                </option>
              ))}
            </Select>
          ) : (
            <Input id="symbol" className="uppercase" {...form.register("symbol")} />
          )}
        </Field>
        <Field id="start" label="From (optional)" error={errors.start?.message}>
          <Input id="start" type="date" {...form.register("start")} />
        </Field>
        <Field id="end" label="To (optional)" error={errors.end?.message}>
          <Input id="end" type="date" {...form.register("end")} />
        </Field>
        <Field id="bt-buy" label="Buy time" error={errors.buy_time?.message}>
          <Input id="bt-buy" type="time" step={1} {...form.register("buy_time")} />
        </Field>
        <Field id="bt-sell" label="Sell time" error={errors.sell_time?.message}>
          <Input id="bt-sell" type="time" step={1} {...form.register("sell_time")} />
        </Field>
        <Field id="bt-sl" label="Stop-loss (₹)" error={errors.stop_loss?.message}>
          <Input id="bt-sl" inputMode="decimal" {...form.register("stop_loss")} />
        </Field>
        <Field id="bt-qty" label="Quantity" error={errors.quantity?.message}>
          <Input id="bt-qty" type="number" min={1} {...form.register("quantity")} />
        </Field>
        {source === "random" ? (
          <Field id="seed" label="Seed" error={errors.seed?.message} className="col-span-2">
            <Input id="seed" inputMode="numeric" {...form.register("seed")} />
          </Field>
        ) : null}
      </div>
      {source === "upload" ? (
        <Field id="csv" label="Minute bars (CSV)" error={errors.csv?.message} hint="timestamp,open,high,low,close[,volume]; naive times are IST">
          <Textarea id="csv" rows={6} placeholder={"2025-01-02 09:15,1500,1502,1499,1501\n2025-01-02 09:16,1501,1503,1500,1502"} {...form.register("csv")} />
        </Field>
      ) : null}
      <Button type="submit" className="w-full" disabled={isSubmitting} data-testid="backtest-submit">
        {isSubmitting ? <Loader2 className="animate-spin" /> : null} Run backtest
      </Button>
    </form>
  );
}
