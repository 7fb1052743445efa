import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Nothing is fetched at build or run time: no Google fonts, no telemetry, no remote images.
  images: { unoptimized: true },
  eslint: { ignoreDuringBuilds: true },
  // Keep the middleware's redirects as written: Next would otherwise rewrite 127.0.0.1 in a
  // Location to "localhost", a different cookie host, and sign the user out.
  skipMiddlewareUrlNormalize: true,
  experimental: {
    // Server actions post only from our own pages.
    serverActions: { bodySizeLimit: "2mb" },
  },
};

export default config;
