import { Suspense } from "react";
import { LogOut, TrendingUp } from "lucide-react";

import { logoutAction } from "@/actions/auth";
import { LiveIndicator, LiveProvider } from "@/components/live-provider";
import { DeniedNotice, MenuButton, NavLinks, SidebarFrame } from "@/components/nav-links";
import { Toaster } from "@/components/toaster";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import type { Me } from "@/lib/types";

const ROLE_LABEL: Record<string, string> = { admin: "Admin", user: "Trader", broker: "Broker staff" };

export function AppShell({ me, children }: { me: Me; children: React.ReactNode }) {
  return (
    <LiveProvider>
      <div className="min-h-screen lg:bg-[linear-gradient(to_right,var(--sidebar)_15rem,transparent_15rem)]">
        <SidebarFrame>
          <div className="mb-6 flex items-center gap-2 px-3">
            <span className="flex size-8 items-center justify-center rounded-lg bg-indigo-500 text-white">
              <TrendingUp className="size-4" />
            </span>
            <div>
              <p className="text-sm font-semibold text-white">Algotrade</p>
              <p className="text-[11px] text-slate-400">Intraday automation</p>
            </div>
          </div>
          <NavLinks role={me.role} />
          <div className="mt-auto rounded-lg bg-white/5 p-3">
            <p className="truncate text-sm text-white" data-testid="signed-in-email">{me.email}</p>
            <p className="text-xs text-slate-400" data-testid="signed-in-role" data-role={me.role}>
              {ROLE_LABEL[me.role] ?? me.role}
              {me.broker ? ` · ${me.broker}` : ""}
            </p>
            <form action={logoutAction} className="mt-2">
              <Button type="submit" variant="ghost" size="sm" className="w-full justify-start px-2 text-slate-300 hover:bg-white/10 hover:text-white">
                <LogOut /> Sign out
              </Button>
            </form>
          </div>
        </SidebarFrame>
        <div className="lg:pl-60">
          <header className="sticky top-0 z-20 flex h-14 items-center gap-3 border-b bg-background/90 px-4 backdrop-blur lg:px-8">
            <MenuButton />
            <div className="flex-1" />
            <LiveIndicator />
            <Badge variant="outline" className="hidden sm:inline-flex">
              {ROLE_LABEL[me.role] ?? me.role}
            </Badge>
          </header>
          <main className="mx-auto max-w-7xl px-4 py-8 lg:px-8">
            <Suspense fallback={null}>
              <DeniedNotice />
            </Suspense>
            {children}
          </main>
        </div>
      </div>
      <Toaster />
    </LiveProvider>
  );
}
