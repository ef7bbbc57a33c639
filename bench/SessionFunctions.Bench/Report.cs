using System.Globalization;
using System.Text;

namespace SessionFunctions.Bench;

/// <summary>The results as Markdown: medians over the rounds, and the ratios the targets are stated in.</summary>
public static class Report
{
    public static string Markdown(BenchSettings settings, List<Measurement> results, Dictionary<string, double> peakRss, List<(int Second, double RssMiB)>? soak)
    {
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        }
        var text = new StringBuilder();
        var f = CultureInfo.InvariantCulture;
        text.AppendLine("# Benchmark results").AppendLine();
        text.AppendLine(f, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores; wrk -t1 -c{settings.Connections}, {settings.DurationSeconds} s per run, {settings.Rounds} interleaved rounds (ours, koa, limit, ours, …); medians over the rounds. Redis 127.0.0.1, persistence off.");
        text.AppendLine();
        text.AppendLine("| workload | server | req/s | p50 ms | p99 ms | Redis cmds/req | + SELECT/req | errors |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        var ratios = new StringBuilder();
        foreach (var workload in Bench.Workloads)
        {
            var medians = new Dictionary<string, double>();
            var p99 = new Dictionary<string, double>();
            foreach (var target in workload.Targets)
            {
                var runs = results.Where(r => r.Workload == workload.Name && r.Server == target.Server).ToList();
                medians[target.Server] = Median(runs.Select(r => r.Wrk.RequestsPerSecond));
                p99[target.Server] = Median(runs.Select(r => r.Wrk.P99Ms));
                text.AppendLine(f, $"| {workload.Name} | {target.Server} | {medians[target.Server]:F0} | {Median(runs.Select(r => r.Wrk.P50Ms)):F2} | {p99[target.Server]:F2} | {Median(runs.Select(r => r.CommandsPerRequest)):F2} | {Median(runs.Select(r => r.SelectsPerRequest)):F2} | {runs.Sum(r => r.Wrk.Errors)} |");
            }
            var ours = medians[workload.Ours.Server];
            ratios.AppendLine(f, $"| {workload.Name} | {ours / medians[workload.Koa.Server]:F2} | {ours / medians[workload.Limit.Server]:F2} | {p99[workload.Ours.Server]:F2} vs {p99[workload.Koa.Server]:F2} |");
        }
        text.AppendLine().AppendLine("Redis cmds/req counts data commands from `INFO commandstats` (not INFO, PING, CLIENT, ECHO); SELECT is connection housekeeping that StackExchange.Redis sends, in the same packet, after a command sent through `ExecuteAsync` (our `SET … XX GET`), and is counted apart.");
        text.AppendLine().AppendLine("| workload | ours / koa (req/s) | ours / limit (req/s) | p99 ms, ours vs koa |").AppendLine("|---|---:|---:|---:|");
        text.Append(ratios);
        text.AppendLine().AppendLine("| process | peak RSS MiB |").AppendLine("|---|---:|");
        foreach (var (name, rss) in peakRss) text.AppendLine(f, $"| {name} | {rss:F0} |");
        if (soak is not null)
        {
            text.AppendLine().AppendLine(f, $"Soak: `write` on ours for {settings.SoakSeconds} s; resident memory (MiB) every 5 s:").AppendLine();
            text.AppendLine(string.Join(", ", soak.Select(s => string.Create(f, $"{s.Second}s {s.RssMiB:F0}"))));
        }
        return text.ToString();
    }
}
