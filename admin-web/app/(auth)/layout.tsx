import { TrendingUp } from "lucide-react";

export default function AuthLayout({ children }: { children: React.ReactNode }) {
  return (
    <div className="grid min-h-screen lg:grid-cols-2">
      <div className="hidden flex-col justify-between bg-sidebar p-10 text-slate-200 lg:flex">
        <div className="flex items-center gap-2">
          <span className="flex size-9 items-center justify-center rounded-lg bg-indigo-500 text-white">
            <TrendingUp className="size-5" />
          </span>
          <span className="text-lg font-semibold text-white">Algotrade</span>
        </div>
        <div className="space-y-4">
          <p className="text-3xl font-semibold leading-tight text-white">Buy at your time. Sell at your time. Stop-loss always first.</p>
          <p className="max-w-md text-sm text-slate-400">
            Automated intraday strategies on Zerodha, Dhan, Fyers, Angel One or the built-in paper broker, with a durable order ledger: no lost and
            no doubled orders.
          </p>
        </div>
        <p className="text-xs text-slate-500">Orders go to your own broker account. Paper trading needs no broker at all.</p>
      </div>
      <div className="flex items-center justify-center p-6">
        <div className="w-full max-w-sm">{children}</div>
      </div>
    </div>
  );
}
