import { Card, CardContent, CardHeader } from "@/components/ui/card";
import { cn } from "@/lib/utils";

export function StatCard({ label, value, hint, className, valueClassName, testId }: { label: string; value: React.ReactNode; hint?: React.ReactNode; className?: string; valueClassName?: string; testId?: string }) {
  return (
    <Card className={className} data-testid={testId}>
      <CardHeader className="pb-1">
        <p className="text-xs font-medium uppercase tracking-wide text-muted-foreground">{label}</p>
      </CardHeader>
      <CardContent>
        <p className={cn("tabular text-2xl font-semibold", valueClassName)}>{value}</p>
        {hint ? <p className="mt-1 text-xs text-muted-foreground">{hint}</p> : null}
      </CardContent>
    </Card>
  );
}
