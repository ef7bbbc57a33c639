using System.Globalization;
using System.Xml.Linq;

namespace SessionFunctions.Bench;

/// <summary>
/// The results as an SVG chart (results/latest.svg, shown in the README): per workload, grouped bars of throughput (2xx
/// answers per second; req/s in reports that predate it) and of p99 latency for ours, koa, the peer (ASP.NET Core
/// Session, when the report has it) and the limit server, four workloads to a row. Drawn here from the numbers, with no
/// plotting package or service, so the benchmark alone regenerates it.
/// </summary>
public static class Chart
{
    private const double Width = 960;
    private const double Left = 92;
    private const double Right = 24;
    private const double PlotHeight = 210;
    private const int RowSize = 4;
    private const string Font = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif";
    private static readonly XNamespace Ns = "http://www.w3.org/2000/svg";
    private static readonly CultureInfo F = CultureInfo.InvariantCulture;

    // One colour per role, whatever the server's name (ours-rolling is ours): ours, koa, peer, limit. The short labels
    // are the legend's when the peer is on it too, so that four fit on one line.
    private static readonly (string Label, string ShortLabel, string Color)[] Series =
    [
        ("ours (SessionFunctions)", "ours (SessionFunctions)", "#2563eb"),
        ("koa (koa-generic-session + koa-redis)", "koa (koa-generic-session)", "#f59e0b"),
        ("peer (ASP.NET Core Session + Redis cache)", "peer (ASP.NET Core Session)", "#7c3aed"),
        ("limit (bare Redis calls, no session logic)", "limit (bare Redis calls)", "#9ca3af"),
    ];

    private const int PeerSeries = 2;

    /// <summary>Each bar of a workload with the series (colour) of its role.</summary>
    private static IEnumerable<(ServerSummary Server, int Series)> Bars(WorkloadSummary w) =>
        w.Peer is null ? [(w.Ours, 0), (w.Koa, 1), (w.Limit, 3)] : [(w.Ours, 0), (w.Koa, 1), (w.Peer, PeerSeries), (w.Limit, 3)];

    /// <param name="conditions">When and how the run was made (the report's first line), shown under the title.</param>
    /// <param name="summary">The medians per workload.</param>
    public static string Svg(string conditions, IReadOnlyList<WorkloadSummary> summary)
    {
        var subtitle = Wrap(conditions, 140);
        var top = 36 + 18 * subtitle.Count + 22;
        var legendY = top;
        var withPeer = summary.Any(w => w.Peer is not null);
        var success = summary.Any(w => w.Servers.Any(s => s.SuccessPerSecond is not null));
        // Rows of at most four workloads, each a throughput panel over a latency panel with axes of their own, so the
        // bars of a 60 KB session are not drawn on the scale of a 100-byte one. Each note line under a group takes 15 px.
        var rows = summary.Chunk(RowSize).ToList();
        var noteLines = summary.Max(w => Math.Max(ThroughputNote(w).Count, LatencyNote(w).Count));
        var notesHeight = 15 * (noteLines - 1);
        var panelStep = PlotHeight + 100 + notesHeight;
        var height = legendY + 44 + rows.Count * 2 * panelStep - 100 + 74;
        var title = withPeer
            ? "Session API benchmark: ours vs koa vs ASP.NET Core Session vs the limit"
            : "Session API benchmark: ours vs koa vs the limit";

        var root = new XElement(Ns + "svg",
            new XAttribute("width", Number(Width)), new XAttribute("height", Number(height)),
            new XAttribute("viewBox", $"0 0 {Number(Width)} {Number(height)}"),
            new XAttribute("role", "img"), new XAttribute("aria-labelledby", "chart-title chart-desc"),
            new XAttribute("font-family", Font),
            new XElement(Ns + "title", new XAttribute("id", "chart-title"), withPeer
                ? "Session API benchmark: ours vs koa-generic-session vs ASP.NET Core Session vs the limit"
                : "Session API benchmark: ours vs koa-generic-session vs the limit"),
            new XElement(Ns + "desc", new XAttribute("id", "chart-desc"), Description(summary)),
            // An opaque background: a transparent chart is unreadable on a dark page.
            new XElement(Ns + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "#ffffff")),
            Text(Left - 60, 30, title, 20, weight: "bold", fill: "#111827"));
        for (var i = 0; i < subtitle.Count; i++) root.Add(Text(Left - 60, 52 + 18 * i, subtitle[i], 12, fill: "#4b5563"));
        root.Add(Legend(legendY, withPeer));

        for (var r = 0; r < rows.Count; r++)
        {
            var throughputTop = legendY + 44 + 2 * r * panelStep;
            var latencyTop = throughputTop + panelStep;
            root.Add(success
                ? Panel(throughputTop, "Throughput: successful (2xx) requests per second (higher is better)", "2xx requests per second", rows[r],
                    s => s.Throughput, v => v.ToString("N0", F), ThroughputNote)
                : Panel(throughputTop, "Throughput: requests per second (higher is better)", "requests per second", rows[r],
                    s => s.Throughput, v => v.ToString("N0", F), ThroughputNote));
            root.Add(Panel(latencyTop, "Latency: 99th percentile in ms (lower is better)", "p99 latency (ms)", rows[r],
                s => s.P99Ms, v => v.ToString("F2", F), LatencyNote));
        }

        return new XDocument(new XDeclaration("1.0", "utf-8", null), root).Declaration + "\n" + root.ToString(SaveOptions.None) + "\n";
    }

    /// <summary>
    /// Under a workload's throughput bars: ours against koa and the limit, then against the peer, then the 409s per
    /// second where they were counted and any server had some.
    /// </summary>
    private static List<string> ThroughputNote(WorkloadSummary w)
    {
        var lines = new List<string> { string.Create(F, $"ours = {w.Ours.Throughput / w.Koa.Throughput:F2}× koa, {w.Ours.Throughput / w.Limit.Throughput:F2}× limit") };
        if (w.Peer is { } peer) lines.Add(string.Create(F, $"ours = {w.Ours.Throughput / peer.Throughput:F2}× peer"));
        var conflicts = w.Servers.Where(s => s.ConflictsPerSecond > 0).ToList();
        if (conflicts.Count > 0)
            lines.Add("409/s: " + string.Join(", ", conflicts.Select(s => string.Create(F, $"{Role(w, s)} {s.ConflictsPerSecond:N0}"))));
        return lines;
    }

    /// <summary>Under a workload's latency bars: koa's p99, then the peer's, against ours.</summary>
    private static List<string> LatencyNote(WorkloadSummary w)
    {
        var lines = new List<string> { string.Create(F, $"koa's p99 = {w.Koa.P99Ms / w.Ours.P99Ms:F1}× ours") };
        if (w.Peer is { } peer) lines.Add(string.Create(F, $"peer's p99 = {peer.P99Ms / w.Ours.P99Ms:F1}× ours"));
        return lines;
    }

    private static string Role(WorkloadSummary w, ServerSummary s) =>
        ReferenceEquals(s, w.Ours) ? "ours" : ReferenceEquals(s, w.Koa) ? "koa" : ReferenceEquals(s, w.Peer) ? "peer" : "limit";

    /// <summary>The numbers as text, for screen readers and for anyone reading the file.</summary>
    private static string Description(IReadOnlyList<WorkloadSummary> summary) => string.Join("; ", summary.Select(w =>
        $"{w.Workload}: " + string.Join(", ", w.Servers.Select(s => s.SuccessPerSecond is { } success
            ? string.Create(F, $"{s.Server} {success:N0} 2xx/s at p99 {s.P99Ms:F2} ms")
            : string.Create(F, $"{s.Server} {s.RequestsPerSecond:N0} req/s at p99 {s.P99Ms:F2} ms"))))) + ".";

    private static XElement Legend(double y, bool withPeer)
    {
        var legend = new XElement(Ns + "g", new XAttribute("id", "legend"));
        var x = Left - 60;
        foreach (var (longLabel, shortLabel, color) in Series.Where((_, i) => withPeer || i != PeerSeries))
        {
            var label = withPeer ? shortLabel : longLabel;
            legend.Add(new XElement(Ns + "rect", Attributes(("x", x), ("y", y - 11), ("width", 14), ("height", 14)),
                new XAttribute("rx", "2"), new XAttribute("fill", color)));
            legend.Add(Text(x + 20, y, label, 13, fill: "#111827"));
            x += 20 + label.Length * 7.2 + 28; // about 7 px a character at 13 px
        }
        return legend;
    }

    private static XElement Panel(double top, string title, string axisTitle, IReadOnlyList<WorkloadSummary> summary,
        Func<ServerSummary, double> value, Func<double, string> format, Func<WorkloadSummary, List<string>> note)
    {
        var plotTop = top + 24;
        var bottom = plotTop + PlotHeight;
        var plotWidth = Width - Left - Right;
        var max = summary.SelectMany(w => w.Servers).Max(value);
        var (axisMax, step) = NiceAxis(max * 1.08); // room for the value above the tallest bar
        double Y(double v) => bottom - v / axisMax * PlotHeight;

        var panel = new XElement(Ns + "g", new XAttribute("class", "panel"),
            Text(Left - 60, top, title, 15, weight: "bold", fill: "#111827"));
        // The y axis: grid lines and their values, and the axis title turned along it.
        for (var tick = 0.0; tick <= axisMax + step / 2; tick += step)
        {
            panel.Add(new XElement(Ns + "line", Attributes(("x1", Left), ("x2", Width - Right), ("y1", Y(tick)), ("y2", Y(tick))),
                new XAttribute("stroke", tick == 0 ? "#374151" : "#e5e7eb"), new XAttribute("stroke-width", "1")));
            panel.Add(Text(Left - 8, Y(tick) + 4, TickLabel(tick, step), 11, anchor: "end", fill: "#4b5563"));
        }
        var axisX = Left - 66;
        var axisY = plotTop + PlotHeight / 2;
        panel.Add(Text(axisX, axisY, axisTitle, 12, anchor: "middle", fill: "#374151",
            transform: $"rotate(-90 {Number(axisX)} {Number(axisY)})"));

        var groupWidth = plotWidth / summary.Count;
        var bars = summary.Max(w => w.Servers.Count());
        var barWidth = Math.Min(56, groupWidth * 0.78 / bars);
        const double Gap = 4;
        for (var g = 0; g < summary.Count; g++)
        {
            var workload = summary[g];
            var center = Left + groupWidth * (g + 0.5);
            var servers = Bars(workload).ToList();
            var first = center - (servers.Count * barWidth + (servers.Count - 1) * Gap) / 2;
            var group = new XElement(Ns + "g", new XAttribute("class", "workload"), new XAttribute("data-workload", workload.Workload));
            for (var s = 0; s < servers.Count; s++)
            {
                var v = value(servers[s].Server);
                var x = first + s * (barWidth + Gap);
                var label = format(v);
                group.Add(new XElement(Ns + "rect", Attributes(("x", x), ("y", Y(v)), ("width", barWidth), ("height", bottom - Y(v))),
                    new XAttribute("fill", Series[servers[s].Series].Color),
                    new XElement(Ns + "title", $"{workload.Workload}, {servers[s].Server.Server}: {label}")));
                group.Add(Text(x + barWidth / 2, Y(v) - 5, label, 11, anchor: "middle", fill: "#111827", cssClass: "value"));
            }
            group.Add(Text(center, bottom + 20, workload.Workload, 13, anchor: "middle", weight: "bold", fill: "#111827"));
            var lines = note(workload);
            for (var l = 0; l < lines.Count; l++)
                group.Add(Text(center, bottom + 37 + 15 * l, lines[l], 11, anchor: "middle", fill: "#4b5563"));
            panel.Add(group);
        }
        return panel;
    }

    /// <summary>An axis from 0 to a round number above <paramref name="max"/>, in at most 8 steps of 1, 2, 2.5 or 5 × 10ⁿ.</summary>
    internal static (double Max, double Step) NiceAxis(double max)
    {
        if (max <= 0) return (1, 0.25);
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(max / 8)));
        foreach (var factor in new[] { 1, 2, 2.5, 5, 10 })
        {
            var step = factor * magnitude;
            if (max / step <= 8) return (Math.Ceiling(max / step) * step, step);
        }
        return (Math.Ceiling(max / (10 * magnitude)) * 10 * magnitude, 10 * magnitude);
    }

    private static string TickLabel(double tick, double step) =>
        step >= 1 ? tick.ToString("N0", F) : tick.ToString(step >= 0.1 ? "0.0" : "0.00", F);

    /// <summary>
    /// Breaks <paramref name="text"/> into lines of at most about <paramref name="width"/> characters, after a "; " where
    /// it can (the report's line is a list of clauses), else at a space.
    /// </summary>
    private static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = "";
        var clauses = text.Split("; ");
        for (var i = 0; i < clauses.Length; i++)
        {
            var piece = i < clauses.Length - 1 ? clauses[i] + ";" : clauses[i];
            if (line.Length == 0 || line.Length + 1 + piece.Length <= width)
            {
                line = line.Length == 0 ? piece : line + " " + piece;
                continue;
            }
            lines.Add(line);
            line = piece;
        }
        lines.Add(line);
        // A clause longer than a line is broken at spaces.
        return [.. lines.SelectMany(l => l.Length <= width ? [l] : BreakAtSpaces(l, width))];
    }

    private static IEnumerable<string> BreakAtSpaces(string text, int width)
    {
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                yield return line;
                line = word;
            }
            else line = line.Length == 0 ? word : line + " " + word;
        }
        if (line.Length > 0) yield return line;
    }

    private static XElement Text(double x, double y, string content, double size, string anchor = "start", string weight = "normal",
        string fill = "#000000", string? transform = null, string? cssClass = null)
    {
        var text = new XElement(Ns + "text", Attributes(("x", x), ("y", y)), new XAttribute("font-size", Number(size)), content);
        if (anchor != "start") text.Add(new XAttribute("text-anchor", anchor));
        if (weight != "normal") text.Add(new XAttribute("font-weight", weight));
        text.Add(new XAttribute("fill", fill));
        if (transform is not null) text.Add(new XAttribute("transform", transform));
        if (cssClass is not null) text.Add(new XAttribute("class", cssClass));
        return text;
    }

    private static IEnumerable<XAttribute> Attributes(params (string Name, double Value)[] values) =>
        values.Select(v => new XAttribute(v.Name, Number(v.Value)));

    /// <summary>Coordinates with at most one decimal, in invariant culture: short, and the same on every machine.</summary>
    private static string Number(double value) => Math.Round(value, 1).ToString("0.#", F);
}
