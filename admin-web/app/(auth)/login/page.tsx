import type { Metadata } from "next";

import { LoginForm } from "@/components/forms/auth-forms";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string; reason?: string }> }) {
  const { next, reason } = await searchParams;
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Sign in</h1>
        <p className="text-sm text-muted-foreground">Traders, admins and broker staff use the same sign-in.</p>
      </div>
      <LoginForm next={next} reason={reason} />
    </div>
  );
}
