"use client";

import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Legend,
  Line,
  LineChart,
  Pie,
  PieChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

const INR = new Intl.NumberFormat("en-IN", { style: "currency", currency: "INR", maximumFractionDigits: 0 });
const shortDay = (d: string) => {
  const x = new Date(`${d.slice(0, 10)}T00:00:00+05:30`);
  return Number.isNaN(x.getTime()) ? d : x.toLocaleDateString("en-IN", { day: "2-digit", month: "short", timeZone: "Asia/Kolkata" });
};
const AXIS = { fontSize: 11, fill: "#71717a" };
export const PALETTE = ["#4f46e5", "#10b981", "#f59e0b", "#ef4444", "#0ea5e9", "#8b5cf6", "#64748b", "#14b8a6"];

function Empty({ height, text }: { height: number; text: string }) {
  return (
    <div className="flex items-center justify-center rounded-lg border border-dashed text-sm text-muted-foreground" style={{ height }}>
      {text}
    </div>
  );
}

/** Realised P&L per day: green above zero, red below. */
export function PnlBarChart({ data, height = 240 }: { data: { day: string; pnl: string | number }[]; height?: number }) {
  if (!data.length) return <Empty height={height} text="No closed trades in this period yet." />;
  const rows = data.map((d) => ({ day: d.day, pnl: Number(d.pnl) }));
  return (
    <div data-testid="pnl-chart" style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} margin={{ top: 8, right: 8, left: 8, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e7" />
          <XAxis dataKey="day" tickFormatter={shortDay} tick={AXIS} tickLine={false} axisLine={false} />
          <YAxis tickFormatter={(v: number) => INR.format(v)} tick={AXIS} tickLine={false} axisLine={false} width={80} />
          <Tooltip formatter={(v) => [INR.format(Number(v)), "P&L"]} labelFormatter={(l) => shortDay(String(l))} />
          <Bar dataKey="pnl" radius={[4, 4, 0, 0]} isAnimationActive={false}>
            {rows.map((r) => (
              <Cell key={r.day} fill={r.pnl >= 0 ? "#10b981" : "#ef4444"} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

/** An equity curve: cumulative P&L over days. */
export function EquityChart({ data, height = 260 }: { data: { day: string; equity: string | number }[]; height?: number }) {
  if (!data.length) return <Empty height={height} text="No trades yet." />;
  const rows = data.map((d) => ({ day: d.day, equity: Number(d.equity) }));
  const last = rows[rows.length - 1]?.equity ?? 0;
  const color = last >= 0 ? "#4f46e5" : "#ef4444";
  return (
    <div data-testid="equity-chart" style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart data={rows} margin={{ top: 8, right: 8, left: 8, bottom: 0 }}>
          <defs>
            <linearGradient id="eq" x1="0" y1="0" x2="0" y2="1">
              <stop offset="0%" stopColor={color} stopOpacity={0.25} />
              <stop offset="100%" stopColor={color} stopOpacity={0} />
            </linearGradient>
          </defs>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e7" />
          <XAxis dataKey="day" tickFormatter={shortDay} tick={AXIS} tickLine={false} axisLine={false} minTickGap={24} />
          <YAxis tickFormatter={(v: number) => INR.format(v)} tick={AXIS} tickLine={false} axisLine={false} width={80} />
          <Tooltip formatter={(v) => [INR.format(Number(v)), "Equity"]} labelFormatter={(l) => shortDay(String(l))} />
          <Area type="monotone" dataKey="equity" stroke={color} strokeWidth={2} fill="url(#eq)" isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Bars of named counts (strategies by status, orders by status, users by role...). */
export function CountBarChart({ data, height = 220, testId, layout = "horizontal" }: { data: { name: string; value: number }[]; height?: number; testId?: string; layout?: "horizontal" | "vertical" }) {
  if (!data.length || data.every((d) => !d.value)) return <Empty height={height} text="Nothing to show yet." />;
  return (
    <div data-testid={testId} style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        {layout === "vertical" ? (
          <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, left: 8, bottom: 0 }}>
            <CartesianGrid strokeDasharray="3 3" horizontal={false} stroke="#e4e4e7" />
            <XAxis type="number" allowDecimals={false} tick={AXIS} tickLine={false} axisLine={false} />
            <YAxis type="category" dataKey="name" tick={AXIS} tickLine={false} axisLine={false} width={90} />
            <Tooltip />
            <Bar dataKey="value" radius={[0, 4, 4, 0]} isAnimationActive={false}>
              {data.map((d, i) => (
                <Cell key={d.name} fill={PALETTE[i % PALETTE.length]} />
              ))}
            </Bar>
          </BarChart>
        ) : (
          <BarChart data={data} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e7" />
            <XAxis dataKey="name" tick={AXIS} tickLine={false} axisLine={false} />
            <YAxis allowDecimals={false} tick={AXIS} tickLine={false} axisLine={false} width={40} />
            <Tooltip />
            <Bar dataKey="value" radius={[4, 4, 0, 0]} isAnimationActive={false}>
              {data.map((d, i) => (
                <Cell key={d.name} fill={PALETTE[i % PALETTE.length]} />
              ))}
            </Bar>
          </BarChart>
        )}
      </ResponsiveContainer>
    </div>
  );
}

export function DonutChart({ data, height = 220, testId }: { data: { name: string; value: number }[]; height?: number; testId?: string }) {
  const rows = data.filter((d) => d.value > 0);
  if (!rows.length) return <Empty height={height} text="Nothing to show yet." />;
  return (
    <div data-testid={testId} style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <PieChart>
          <Pie data={rows} dataKey="value" nameKey="name" innerRadius="55%" outerRadius="80%" paddingAngle={2} isAnimationActive={false}>
            {rows.map((d, i) => (
              <Cell key={d.name} fill={PALETTE[i % PALETTE.length]} />
            ))}
          </Pie>
          <Tooltip />
          <Legend verticalAlign="bottom" height={24} iconType="circle" wrapperStyle={{ fontSize: 12 }} />
        </PieChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Latency percentiles (p50/p90/p99/max) of each measured path. */
export function LatencyChart({ data, height = 220 }: { data: { name: string; p50: number | null; p90: number | null; p99: number | null; max: number | null }[]; height?: number }) {
  if (!data.some((d) => d.p50 !== null)) return <Empty height={height} text="No samples yet: latencies appear after the first orders." />;
  return (
    <div data-testid="latency-chart" style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e7" />
          <XAxis dataKey="name" tick={AXIS} tickLine={false} axisLine={false} />
          <YAxis tick={AXIS} tickLine={false} axisLine={false} width={64} unit=" ms" />
          <Tooltip formatter={(v) => `${Number(v).toFixed(1)} ms`} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="p50" fill="#4f46e5" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          <Bar dataKey="p90" fill="#0ea5e9" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          <Bar dataKey="p99" fill="#f59e0b" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          <Bar dataKey="max" fill="#ef4444" radius={[3, 3, 0, 0]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Orders per hour (admin analytics). */
export function VolumeLineChart({ data, height = 240 }: { data: { hour: string; filled: number; failed: number }[]; height?: number }) {
  if (!data.some((d) => d.filled || d.failed)) return <Empty height={height} text="No orders in the last 24 hours." />;
  return (
    <div data-testid="volume-chart" style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e7" />
          <XAxis dataKey="hour" tick={AXIS} tickLine={false} axisLine={false} minTickGap={16} />
          <YAxis allowDecimals={false} tick={AXIS} tickLine={false} axisLine={false} width={40} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Line type="monotone" dataKey="filled" name="Filled" stroke="#10b981" strokeWidth={2} dot={false} isAnimationActive={false} />
          <Line type="monotone" dataKey="failed" name="Rejected/failed" stroke="#ef4444" strokeWidth={2} dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
