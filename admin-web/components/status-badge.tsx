import { Badge, type BadgeProps } from "@/components/ui/badge";

type Variant = NonNullable<BadgeProps["variant"]>;

const STRATEGY: Record<string, Variant> = { RUNNING: "success", STOPPED: "muted", ERROR: "danger" };
const POSITION: Record<string, Variant> = { FLAT: "muted", ENTERING: "info", LONG: "success", EXITING: "warning", CLOSED: "secondary" };
const ORDER: Record<string, Variant> = {
  NEW: "info",
  SUBMITTING: "info",
  UNKNOWN: "warning",
  OPEN: "info",
  FILLED: "success",
  REJECTED: "danger",
  FAILED: "danger",
  CANCELLED: "muted",
};
const ACCOUNT: Record<string, Variant> = { ACTIVE: "success", NEEDS_LOGIN: "warning", DISABLED: "danger" };
const RUN: Record<string, Variant> = { QUEUED: "muted", RUNNING: "info", DONE: "success", FAILED: "danger" };
const HEALTH: Record<string, Variant> = { ok: "success", idle: "muted", degraded: "danger" };

const TABLES = { strategy: STRATEGY, position: POSITION, order: ORDER, account: ACCOUNT, run: RUN, health: HEALTH } as const;

export function StatusBadge({ kind, value, className, testId }: { kind: keyof typeof TABLES; value: string | null | undefined; className?: string; testId?: string }) {
  const v = value ?? "—";
  const variant = TABLES[kind][v] ?? "outline";
  return (
    <Badge variant={variant} className={className} data-testid={testId} data-value={v}>
      {v.replace(/_/g, " ")}
    </Badge>
  );
}
