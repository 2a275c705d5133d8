// Live plots: a minute of figures, a point a second, drawn on small canvases. Each canvas is
// an image with its latest values in words, so the numbers are there without the picture.

const WIDTH = 180;
const HEIGHT = 48;
const COLORS = ['#2563eb', '#dc2626'];

/** The figures a bot socket's plots show: each a title, the lines it draws, and how a value reads. */
export const BOT_FIGURES = [
  { title: 'fps', lines: ['fps'], format: (v) => v.toFixed(0) },
  { title: 'kbit/s', lines: ['bitrate'], scale: 1 / 1000, format: (v) => v.toFixed(0) },
  { title: 'loss %', lines: ['lossBeforeRecovery', 'lossAfterRecovery'], scale: 100, format: (v) => v.toFixed(1), names: ['before repair', 'after'] },
  { title: 'RTT ms', lines: ['roundTripMs'], format: (v) => v.toFixed(1) },
  { title: 'latency ms', lines: ['latencyP50', 'latencyP99'], format: (v) => v.toFixed(1), names: ['p50', 'p99'] },
];

export const PARTICIPANT_FIGURES = [
  { title: 'kbit/s in', lines: ['videoBitrate', 'audioBitrate'], scale: 1 / 1000, format: (v) => v.toFixed(0), names: ['video', 'audio'] },
];

/** Draws one figure's lines over the points (oldest first) and says their latest values. */
export function drawFigure(canvas, figure, points) {
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, WIDTH, HEIGHT);
  const scale = figure.scale ?? 1;
  const values = figure.lines.map((key) => points.map((p) => (p[key] ?? 0) * scale));
  const top = Math.max(1e-9, ...values.flat()) * 1.15;
  const span = Math.max(1, points.length - 1);
  g.strokeStyle = '#d4d4d8';
  g.beginPath();
  g.moveTo(0, HEIGHT - 0.5);
  g.lineTo(WIDTH, HEIGHT - 0.5);
  g.stroke();
  values.forEach((line, i) => {
    g.strokeStyle = COLORS[i % COLORS.length];
    g.lineWidth = 1.5;
    g.beginPath();
    line.forEach((v, j) => {
      const x = points.length === 1 ? WIDTH - 1 : (j / span) * (WIDTH - 1);
      const y = HEIGHT - 1 - (v / top) * (HEIGHT - 4);
      if (j === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.stroke();
  });
  const latest = values.map((line, i) => `${figure.names?.[i] ?? ''} ${line.length ? figure.format(line[line.length - 1]) : '–'}`.trim());
  const text = `${figure.title}: ${latest.join(', ')}`;
  canvas.setAttribute('aria-label', text);
  canvas.title = text;
  return text;
}
