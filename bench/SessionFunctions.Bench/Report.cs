using System.Globalization;
using System.Text;

namespace SessionFunctions.Bench;

/// <summary>One server's medians over the rounds of one workload; <c>Server</c> is its name (ours, ours-rolling, koa, koa-rolling, limit).</summary>
public sealed record ServerSummary(string Server, double RequestsPerSecond, double P50Ms, double P99Ms, double CommandsPerRequest, double SelectsPerRequest, long Errors);

/// <summary>One workload's medians, for its three servers in the order of <see cref="Workload.Targets"/>.</summary>
public sealed record WorkloadSummary(string Workload, ServerSummary Ours, ServerSummary Koa, ServerSummary Limit)
{
    public IEnumerable<ServerSummary> Servers => [Ours, Koa, Limit];
}

/// <summary>The results as Markdown: medians over the rounds, and the ratios the targets are stated in.</summary>
public static class Report
{
    /// <summary>The medians over the rounds, per workload: what both the Markdown table and the chart show.</summary>
    public static List<WorkloadSummary> Summarize(List<Measurement> results)
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
                runs.Sum(r => r.Wrk.Errors));
        }
        return [.. Bench.Workloads.Select(w => new WorkloadSummary(w.Name, Of(w, w.Ours), Of(w, w.Koa), Of(w, w.Limit)))];
    }

    /// <summary>The first line under the title: when, where and how the run was made; the chart repeats it.</summary>
    public static string Conditions(BenchSettings settings) => string.Create(CultureInfo.InvariantCulture,
        $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores; wrk -t1 -c{settings.Connections}, {settings.DurationSeconds} s per run, {settings.Rounds} interleaved rounds (ours, koa, limit, ours, …); medians over the rounds. Redis 127.0.0.1, persistence off.");

    public static string Markdown(string conditions, List<WorkloadSummary> summary, Dictionary<string, double> peakRss, List<(int Second, double RssMiB)>? soak, int soakSeconds)
    {
        var text = new StringBuilder();
        var f = CultureInfo.InvariantCulture;
        text.AppendLine("# Benchmark results").AppendLine();
        text.AppendLine(conditions);
        text.AppendLine();
        text.AppendLine("| workload | server | req/s | p50 ms | p99 ms | Redis cmds/req | + SELECT/req | errors |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        var ratios = new StringBuilder();
        foreach (var workload in summary)
        {
            foreach (var s in workload.Servers)
                text.AppendLine(f, $"| {workload.Workload} | {s.Server} | {s.RequestsPerSecond:F0} | {s.P50Ms:F2} | {s.P99Ms:F2} | {s.CommandsPerRequest:F2} | {s.SelectsPerRequest:F2} | {s.Errors} |");
            var ours = workload.Ours.RequestsPerSecond;
            ratios.AppendLine(f, $"| {workload.Workload} | {ours / workload.Koa.RequestsPerSecond:F2} | {ours / workload.Limit.RequestsPerSecond:F2} | {workload.Ours.P99Ms:F2} vs {workload.Koa.P99Ms:F2} |");
        }
        text.AppendLine().AppendLine("Redis cmds/req counts data commands from `INFO commandstats` (not INFO, PING, CLIENT, ECHO); SELECT is connection housekeeping that StackExchange.Redis sends, in the same packet, after a command sent through `ExecuteAsync` (our `SET … XX GET`), and is counted apart.");
        text.AppendLine().AppendLine("| workload | ours / koa (req/s) | ours / limit (req/s) | p99 ms, ours vs koa |").AppendLine("|---|---:|---:|---:|");
        text.Append(ratios);
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
            if (cells.Length != 8) throw new FormatException($"Expected 8 cells: {line}");
            double Number(int i) => double.Parse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture);
            rows.Add((cells[0], new ServerSummary(cells[1], Number(2), Number(3), Number(4), Number(5), Number(6), long.Parse(cells[7], CultureInfo.InvariantCulture))));
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
