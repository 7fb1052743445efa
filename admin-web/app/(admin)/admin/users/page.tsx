import type { Metadata } from "next";

import { AdminUsersTable, CreateUserButton } from "@/components/admin-users";
import { PageHeader } from "@/components/page-header";
import { ErrorState } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { load } from "@/lib/server/backend";
import { currentUser } from "@/lib/server/session";
import type { AdminUser } from "@/lib/types";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage({ searchParams }: { searchParams: Promise<{ role?: string; email?: string; active?: string }> }) {
  const { role, email, active } = await searchParams;
  const [users, me] = await Promise.all([load<AdminUser[]>("/api/admin/users", { query: { role, email, active } }), currentUser()]);
  return (
    <div className="space-y-4">
      <PageHeader title="Users" description="Traders, admins and broker staff. Suspending signs a user out at once and, by default, stops their strategies." actions={<CreateUserButton />} />
      <form className="flex flex-wrap items-end gap-2" role="search">
        <Input name="email" defaultValue={email} placeholder="Search email" className="w-64" />
        <Select name="role" defaultValue={role ?? ""} className="w-40">
          <option value="">All roles</option>
          <option value="user">Traders</option>
          <option value="admin">Admins</option>
          <option value="broker">Broker staff</option>
        </Select>
        <Select name="active" defaultValue={active ?? ""} className="w-40">
          <option value="">Any state</option>
          <option value="true">Active</option>
          <option value="false">Suspended</option>
        </Select>
        <Button type="submit" variant="outline">
          Filter
        </Button>
      </form>
      {!users.ok ? (
        <ErrorState error={users.error} />
      ) : (
        <Card>
          <CardContent className="p-0">
            <AdminUsersTable users={users.data} selfId={me?.id ?? 0} />
          </CardContent>
        </Card>
      )}
    </div>
  );
}
