"use client";

import { AlertTriangle } from "lucide-react";

import { Alert, AlertDescription, AlertTitle } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

/** Unexpected errors of a page: the navigation stays, the page offers a retry. */
export default function PageError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <Alert variant="destructive" data-testid="error-state">
      <AlertTriangle />
      <AlertTitle>This page could not be shown</AlertTitle>
      <AlertDescription>
        <p>{error.message || "An unexpected error occurred."}</p>
        {error.digest ? <p className="mt-1 text-xs opacity-70">Reference {error.digest} (see the admin-web log)</p> : null}
        <Button variant="outline" size="sm" className="mt-3" onClick={reset}>
          Try again
        </Button>
      </AlertDescription>
    </Alert>
  );
}
