"use client";

import { CheckCircle2, Info, X, XCircle } from "lucide-react";

import { useUiStore } from "@/lib/stores/ui-store";
import { cn } from "@/lib/utils";

export function Toaster() {
  const toasts = useUiStore((s) => s.toasts);
  const dismiss = useUiStore((s) => s.dismiss);
  return (
    <div className="pointer-events-none fixed bottom-4 right-4 z-50 flex w-80 flex-col gap-2" aria-live="polite">
      {toasts.map((t) => (
        <div
          key={t.id}
          role="status"
          className={cn(
            "pointer-events-auto flex items-start gap-2 rounded-lg border bg-background p-3 text-sm shadow-lg",
            t.kind === "error" && "border-red-200",
            t.kind === "success" && "border-emerald-200",
          )}
        >
          {t.kind === "success" ? <CheckCircle2 className="mt-0.5 size-4 text-emerald-600" /> : t.kind === "error" ? <XCircle className="mt-0.5 size-4 text-red-600" /> : <Info className="mt-0.5 size-4 text-sky-600" />}
          <p className="flex-1">{t.text}</p>
          <button type="button" onClick={() => dismiss(t.id)} aria-label="Dismiss" className="text-muted-foreground">
            <X className="size-4" />
          </button>
        </div>
      ))}
    </div>
  );
}
