import type { Metadata } from "next";

import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Algotrade", template: "%s · Algotrade" },
  description: "Automated intraday trading for Indian retail traders: admin, trader and broker web.",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
