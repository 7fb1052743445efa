import type { Metadata } from "next";

import { RegisterForm } from "@/components/forms/auth-forms";

export const metadata: Metadata = { title: "Create an account" };

export default function RegisterPage() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Create your trader account</h1>
        <p className="text-sm text-muted-foreground">Start on the paper broker: no broker account needed.</p>
      </div>
      <RegisterForm />
    </div>
  );
}
