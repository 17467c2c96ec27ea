// A small inline SVG line chart of per-minute figures: no chart library, a legend in words, the
// largest value on the axis, and a table-like summary for screen readers.
import { formatClock } from "../format.js";

export interface Series {
  name: string;
  /** A CSS class that sets the line's colour (see styles.css .series-*). */
  className: string;
  values: number[];
}

const W = 600;
const H = 150;
const PAD = { left: 48, right: 8, top: 10, bottom: 22 };

export function LineChart({ title, times, series, format }: { title: string; times: Date[]; series: Series[]; format: (n: number) => string }) {
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const n = Math.max(times.length, 2);
  const x = (i: number) => PAD.left + (i / (n - 1)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const ticks = times.length > 1 ? [0, Math.floor((times.length - 1) / 2), times.length - 1] : [];
  const summary = series.map((s) => `${s.name}: total ${format(s.values.reduce((a, b) => a + b, 0))}, peak ${format(Math.max(0, ...s.values))}`).join("; ");

  return (
    <figure className="chart">
      <figcaption>
        <strong>{title}</strong>
        <span className="legend">
          {series.map((s) => (
            <span key={s.name} className={`legend-item ${s.className}`}>
              <span className="swatch" aria-hidden="true" />
              {s.name}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title}. ${summary}`}>
        <line className="axis" x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} />
        <line className="grid" x1={PAD.left} x2={W - PAD.right} y1={y(max)} y2={y(max)} />
        <text className="tick" x={PAD.left - 6} y={y(max) + 4} textAnchor="end">
          {format(max)}
        </text>
        <text className="tick" x={PAD.left - 6} y={y(0) + 4} textAnchor="end">
          0
        </text>
        {ticks.map((i) => (
          <text key={i} className="tick" x={x(i)} y={H - 6} textAnchor={i === 0 ? "start" : i === times.length - 1 ? "end" : "middle"}>
            {formatClock(times[i]!)}
          </text>
        ))}
        {series.map((s) => (
          <polyline key={s.name} className={`line ${s.className}`} points={s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ")} />
        ))}
      </svg>
    </figure>
  );
}
