import { PageSkeleton } from "@/components/states";

export default function Loading() {
  return <PageSkeleton cards={4} rows={5} />;
}
