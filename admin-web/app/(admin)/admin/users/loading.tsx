import { PageSkeleton } from "@/components/states";

export default function Loading() {
  return <PageSkeleton cards={0} rows={8} />;
}
