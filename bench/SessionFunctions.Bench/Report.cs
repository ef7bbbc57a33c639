using System.Globalization;
using System.Text;

namespace SessionFunctions.Bench;

/// <summary>One server's medians over the rounds of one workload; <c>Server</c> is its name (ours, ours-rolling, ours-indexed, koa, koa-rolling, limit).</summary>
/// <param name="Server">The server.</param>
/// <param name="RequestsPerSecond">Median req/s.</param>
/// <param name="P50Ms">Median p50 latency.</param>
/// <param name="P99Ms">Median p99 latency.</param>
/// <param name="CommandsPerRequest">Redis data commands per request as <c>INFO commandstats</c> counts them, scripts' inner commands included.</param>
/// <param name="SelectsPerRequest">SELECTs per request, apart.</param>
/// <param name="Errors">Non-2xx answers and socket errors, over the rounds.</param>
/// <param name="RoundTrips">Commands the server sent per request (an EVALSHA is one), from the MONITOR pass; null when not counted.</param>
public sealed record ServerSummary(string Server, double RequestsPerSecond, double P50Ms, double P99Ms, double CommandsPerRequest, double SelectsPerRequest,
    long Errors, double? RoundTrips = null);

/// <summary>One workload's medians, for its three servers in the order of <see cref="Workload.Targets"/>.</summary>
public sealed record WorkloadSummary(string Workload, ServerSummary Ours, ServerSummary Koa, ServerSummary Limit)
{
    public IEnumerable<ServerSummary> Servers => [Ours, Koa, Limit];
}

/// <summary>The results as Markdown: medians over the rounds, and the ratios the targets are stated in.</summary>
public static class Report
{
    /// <summary>The medians over the rounds, per workload: what both the Markdown table and the chart show.</summary>
    public static List<WorkloadSummary> Summarize(List<Measurement> results, IReadOnlyList<RoundTripCount>? roundTrips = null)
    {
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        }
        ServerSummary Of(Workload workload, Target target)
        {
            var runs = results.Where(r => r.Workload == workload.Name && r.Server == target.Server).ToList();
            return new ServerSummary(target.Server, Median(runs.Select(r => r.Wrk.RequestsPerSecond)), Median(runs.Select(r => r.Wrk.P50Ms)),
                Median(runs.Select(r => r.Wrk.P99Ms)), Median(runs.Select(r => r.CommandsPerRequest)), Median(runs.Select(r => r.SelectsPerRequest)),
                runs.Sum(r => r.Wrk.Errors),
                roundTrips?.FirstOrDefault(c => c.Workload == workload.Name && c.Server == target.Server)?.Warm.PerRequest);
        }
        return [.. Bench.Workloads.Where(w => results.Any(r => r.Workload == w.Name))
            .Select(w => new WorkloadSummary(w.Name, Of(w, w.Ours), Of(w, w.Koa), Of(w, w.Limit)))];
    }

    /// <summary>The first line under the title: when, where and how the run was made; the chart repeats it.</summary>
    public static string Conditions(BenchSettings settings) => string.Create(CultureInfo.InvariantCulture,
        $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores; wrk -t1 -c{settings.Connections}, {settings.DurationSeconds} s per run, {settings.Rounds} interleaved rounds (ours, koa, limit, ours, …){SizeRounds(settings)}, after a {settings.WarmUpSeconds} s warm-up of each; medians over the rounds. Redis 127.0.0.1, persistence off.");

    private static string SizeRounds(BenchSettings settings) =>
        settings.SizeRounds is { } rounds && rounds < settings.Rounds ? string.Create(CultureInfo.InvariantCulture, $" ({rounds} for the 1k, 16k and 60k workloads)") : "";

    public static string Markdown(string conditions, List<WorkloadSummary> summary, Dictionary<string, double> peakRss, List<(int Second, double RssMiB)>? soak,
        int soakSeconds, IReadOnlyList<RoundTripCount>? roundTrips = null)
    {
        var text = new StringBuilder();
        var f = CultureInfo.InvariantCulture;
        static string Trips(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "–";
        text.AppendLine("# Benchmark results").AppendLine();
        text.AppendLine(conditions);
        text.AppendLine();
        text.AppendLine("| workload | server | req/s | p50 ms | p99 ms | Redis cmds/req | + SELECT/req | errors | round trips/req |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        var ratios = new StringBuilder();
        foreach (var workload in summary)
        {
            foreach (var s in workload.Servers)
                text.AppendLine(f, $"| {workload.Workload} | {s.Server} | {s.RequestsPerSecond:F0} | {s.P50Ms:F2} | {s.P99Ms:F2} | {s.CommandsPerRequest:F2} | {s.SelectsPerRequest:F2} | {s.Errors} | {Trips(s.RoundTrips)} |");
            var ours = workload.Ours.RequestsPerSecond;
            ratios.AppendLine(f, $"| {workload.Workload} | {ours / workload.Koa.RequestsPerSecond:F2} | {ours / workload.Limit.RequestsPerSecond:F2} | {workload.Ours.P99Ms:F2} vs {workload.Koa.P99Ms:F2} vs {workload.Limit.P99Ms:F2} | {Trips(workload.Ours.RoundTrips)} vs {Trips(workload.Koa.RoundTrips)} vs {Trips(workload.Limit.RoundTrips)} |");
        }
        text.AppendLine().AppendLine("Redis cmds/req counts data commands from `INFO commandstats` during the rounds (not INFO, PING, CLIENT, ECHO), which include the commands a script runs inside: one `EVALSHA` of the compare-and-set counts as evalsha + get + set. SELECT is connection housekeeping that StackExchange.Redis sends, in the same packet, after a command sent through `ExecuteAsync` (`GETEX`), and is counted apart. Round trips/req counts the commands the server itself sent (an `EVALSHA` is one, whatever its script runs), seen by a `MONITOR` client in a separate pass after the rounds, one request at a time, on a warm server (see the last table); – when not counted.");
        text.AppendLine().AppendLine("| workload | ours / koa (req/s) | ours / limit (req/s) | p99 ms: ours vs koa vs limit | round trips/req: ours vs koa vs limit |").AppendLine("|---|---:|---:|---:|---:|");
        text.Append(ratios);
        if (roundTrips is { Count: > 0 })
        {
            text.AppendLine().AppendLine("Commands each server sent per request, by name (`MONITOR` pass, one request at a time): the first request to each session after another writer changed it (what the server remembers is stale: it pays what a cold one does), then two more per session (warm):").AppendLine();
            text.AppendLine("| workload | server | first request per session | warm |").AppendLine("|---|---|---|---|");
            foreach (var count in roundTrips)
                text.AppendLine(f, $"| {count.Workload} | {count.Server} | {count.First} | {count.Warm} |");
        }
        text.AppendLine().AppendLine("| process | peak RSS MiB |").AppendLine("|---|---:|");
        foreach (var (name, rss) in peakRss) text.AppendLine(f, $"| {name} | {rss:F0} |");
        if (soak is not null)
        {
            text.AppendLine().AppendLine(f, $"Soak: `write` on ours for {soakSeconds} s; resident memory (MiB) every 5 s:").AppendLine();
            text.AppendLine(string.Join(", ", soak.Select(s => string.Create(f, $"{s.Second}s {s.RssMiB:F0}"))));
        }
        return text.ToString();
    }

    /// <summary>
    /// Reads back what <see cref="Markdown"/> wrote: the conditions line and the per-server table. The chart of an
    /// earlier run is redrawn from its Markdown (<c>--chart-only</c>), so the numbers on the chart are exactly those in
    /// the file, as rounded there.
    /// </summary>
    public static (string Conditions, List<WorkloadSummary> Summary) Parse(string markdown)
    {
        var lines = markdown.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var conditions = lines.SkipWhile(l => !l.StartsWith("# ", StringComparison.Ordinal)).Skip(1).FirstOrDefault(l => l.Length > 0)
            ?? throw new FormatException("No conditions line under the title.");
        var header = lines.FindIndex(l => l.StartsWith("| workload | server |", StringComparison.Ordinal));
        if (header < 0) throw new FormatException("No '| workload | server | …' table.");
        var rows = new List<(string Workload, ServerSummary Server)>();
        foreach (var line in lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            // Eight cells before round trips were counted (the first runs), nine since.
            if (cells.Length is not (8 or 9)) throw new FormatException($"Expected 8 or 9 cells: {line}");
            double Number(int i) => double.Parse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture);
            double? trips = cells.Length == 9 && cells[8] != "–" ? Number(8) : null;
            rows.Add((cells[0], new ServerSummary(cells[1], Number(2), Number(3), Number(4), Number(5), Number(6),
                long.Parse(cells[7], CultureInfo.InvariantCulture), trips)));
        }
        // Each workload's rows come in the order the report writes them: ours, koa, limit.
        var summary = rows.GroupBy(r => r.Workload).Select(g => g.Select(r => r.Server).ToList() switch
        {
            [var ours, var koa, var limit] => new WorkloadSummary(g.Key, ours, koa, limit),
            var servers => throw new FormatException($"Workload {g.Key} has {servers.Count} servers, not 3 (ours, koa, limit)."),
        }).ToList();
        if (summary.Count == 0) throw new FormatException("The results table is empty.");
        return (conditions, summary);
    }
}
