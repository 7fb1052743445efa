import { AppShell } from "@/components/app-shell";
import { requireUser } from "@/lib/server/session";

export const dynamic = "force-dynamic";

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const me = await requireUser();
  return <AppShell me={me}>{children}</AppShell>;
}
