import { redirect } from "next/navigation";

import { currentUser } from "@/lib/server/session";
import { homeFor } from "@/lib/session-core";

export default async function Home() {
  const me = await currentUser();
  redirect(me ? homeFor(me.role) : "/login");
}
