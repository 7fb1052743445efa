import { AppShell } from "@/components/app-shell";
import { requireUser } from "@/lib/server/session";

export const dynamic = "force-dynamic";

/** The admin area: the middleware turns other roles away; this checks the role at the backend too. */
export default async function AdminLayout({ children }: { children: React.ReactNode }) {
  const me = await requireUser(["admin"]);
  return <AppShell me={me}>{children}</AppShell>;
}
