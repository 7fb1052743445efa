"use client";

import Link from "next/link";
import { usePathname, useSearchParams } from "next/navigation";
import {
  Activity,
  BarChart3,
  Building2,
  FlaskConical,
  Gauge,
  LayoutDashboard,
  ListChecks,
  Menu,
  PlugZap,
  ShieldAlert,
  User,
  Users,
} from "lucide-react";

import { Alert, AlertDescription } from "@/components/ui/alert";
import type { Role } from "@/lib/session-core";
import { useUiStore } from "@/lib/stores/ui-store";
import { cn } from "@/lib/utils";

interface Item {
  href: string;
  label: string;
  icon: React.ComponentType<{ className?: string }>;
}

const TRADING: Item[] = [
  { href: "/dashboard", label: "Dashboard", icon: LayoutDashboard },
  { href: "/strategies", label: "Strategies", icon: ListChecks },
  { href: "/brokers", label: "Brokers", icon: PlugZap },
  { href: "/playground", label: "Playground", icon: FlaskConical },
];
const ADMIN: Item[] = [
  { href: "/admin/system", label: "System", icon: Gauge },
  { href: "/admin/users", label: "Users", icon: Users },
  { href: "/admin/strategies", label: "All strategies", icon: Activity },
  { href: "/admin/analytics", label: "Analytics", icon: BarChart3 },
];
const BROKER: Item[] = [{ href: "/broker-desk", label: "Broker desk", icon: Building2 }];
const ACCOUNT: Item[] = [{ href: "/profile", label: "Profile", icon: User }];

export function sectionsFor(role: Role): { title: string; items: Item[] }[] {
  if (role === "admin")
    return [
      { title: "Administration", items: ADMIN },
      { title: "Trading", items: TRADING },
      { title: "Brokers", items: BROKER },
      { title: "Account", items: ACCOUNT },
    ];
  if (role === "broker") return [{ title: "Broker", items: BROKER }, { title: "Account", items: ACCOUNT }];
  return [{ title: "Trading", items: TRADING }, { title: "Account", items: ACCOUNT }];
}

export function NavLinks({ role }: { role: Role }) {
  const pathname = usePathname();
  const close = useUiStore((s) => s.toggleSidebar);
  return (
    <nav className="flex flex-col gap-5" aria-label="Main">
      {sectionsFor(role).map((section) => (
        <div key={section.title}>
          <p className="px-3 pb-1.5 text-[11px] font-semibold uppercase tracking-wider text-slate-500">{section.title}</p>
          <ul className="flex flex-col gap-0.5">
            {section.items.map((item) => {
              const active = pathname === item.href || pathname.startsWith(`${item.href}/`);
              const Icon = item.icon;
              return (
                <li key={item.href}>
                  <Link
                    href={item.href}
                    onClick={() => close(false)}
                    className={cn(
                      "flex items-center gap-2.5 rounded-md px-3 py-2 text-sm transition-colors",
                      active ? "bg-white/10 font-medium text-white" : "text-slate-300 hover:bg-white/5 hover:text-white",
                    )}
                    aria-current={active ? "page" : undefined}
                  >
                    <Icon className="size-4" />
                    {item.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </div>
      ))}
    </nav>
  );
}

export function SidebarFrame({ children }: { children: React.ReactNode }) {
  const open = useUiStore((s) => s.sidebarOpen);
  const toggle = useUiStore((s) => s.toggleSidebar);
  return (
    <>
      <aside
        className={cn(
          "fixed inset-y-0 left-0 z-40 flex w-60 flex-col bg-sidebar px-3 py-4 text-sidebar-foreground transition-transform lg:translate-x-0",
          open ? "translate-x-0" : "-translate-x-full",
        )}
      >
        {children}
      </aside>
      {open ? <div className="fixed inset-0 z-30 bg-black/30 lg:hidden" onClick={() => toggle(false)} aria-hidden /> : null}
    </>
  );
}

export function MenuButton() {
  const toggle = useUiStore((s) => s.toggleSidebar);
  return (
    <button type="button" className="rounded-md p-2 hover:bg-accent lg:hidden" onClick={() => toggle()} aria-label="Menu">
      <Menu className="size-5" />
    </button>
  );
}

/** The route guard's message after it sent the user away (?denied=/admin/...). */
export function DeniedNotice() {
  const params = useSearchParams();
  const denied = params.get("denied");
  if (!denied) return null;
  return (
    <Alert variant="warning" className="mb-6" data-testid="denied-notice">
      <ShieldAlert />
      <AlertDescription>
        {denied.startsWith("/admin") ? "The admin area is for administrators only." : "Your role cannot open that page."} You were brought here instead.
      </AlertDescription>
    </Alert>
  );
}
