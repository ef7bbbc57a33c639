using System.Globalization;
using System.Text;

namespace SessionFunctions.Bench;

/// <summary>
/// One server's medians over the rounds of one workload; <c>Server</c> is its name (ours, ours-rolling, ours-indexed, koa,
/// koa-rolling, peer, limit).
/// </summary>
/// <param name="Server">The server.</param>
/// <param name="RequestsPerSecond">Median req/s: every answer, whatever its status.</param>
/// <param name="P50Ms">Median p50 latency.</param>
/// <param name="P99Ms">Median p99 latency.</param>
/// <param name="CommandsPerRequest">Redis data commands per request as <c>INFO commandstats</c> counts them, scripts' inner commands included.</param>
/// <param name="SelectsPerRequest">SELECTs per request, apart.</param>
/// <param name="Errors">
/// Non-2xx answers and socket errors, over the rounds; 409s left out where they were counted apart
/// (<paramref name="ConflictsPerSecond"/> not null).
/// </param>
/// <param name="RoundTrips">Commands the server sent per request (an EVALSHA is one), from the MONITOR pass; null when not counted.</param>
/// <param name="SuccessPerSecond">Median 2xx answers per second; null in reports written before it was reported.</param>
/// <param name="ConflictsPerSecond">Median 409 answers per second, where the workload counts statuses (hot); else null.</param>
public sealed record ServerSummary(string Server, double RequestsPerSecond, double P50Ms, double P99Ms, double CommandsPerRequest, double SelectsPerRequest,
    long Errors, double? RoundTrips = null, double? SuccessPerSecond = null, double? ConflictsPerSecond = null)
{
    /// <summary>What the throughput ratios and the chart compare: 2xx answers per second where reported, else req/s.</summary>
    public double Throughput => SuccessPerSecond ?? RequestsPerSecond;
}

/// <summary>
/// One workload's medians, in the order of <see cref="Workload.Targets"/>: ours, koa, the peer (ASP.NET Core Session;
/// null in reports written before it was measured) and the limit.
/// </summary>
public sealed record WorkloadSummary(string Workload, ServerSummary Ours, ServerSummary Koa, ServerSummary Limit, ServerSummary? Peer = null)
{
    public IEnumerable<ServerSummary> Servers => Peer is null ? [Ours, Koa, Limit] : [Ours, Koa, Peer, Limit];
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
            var counted = runs.All(r => r.Wrk.ConflictsPerSecond is not null);
            return new ServerSummary(target.Server, Median(runs.Select(r => r.Wrk.RequestsPerSecond)), Median(runs.Select(r => r.Wrk.P50Ms)),
                Median(runs.Select(r => r.Wrk.P99Ms)), Median(runs.Select(r => r.CommandsPerRequest)), Median(runs.Select(r => r.SelectsPerRequest)),
                runs.Sum(r => r.Wrk.Errors - (counted ? r.Wrk.Conflicts : 0)),
                roundTrips?.FirstOrDefault(c => c.Workload == workload.Name && c.Server == target.Server)?.Warm.PerRequest,
                Median(runs.Select(r => r.Wrk.SuccessPerSecond)),
                counted ? Median(runs.Select(r => r.Wrk.ConflictsPerSecond!.Value)) : null);
        }
        return [.. Bench.Workloads.Where(w => results.Any(r => r.Workload == w.Name))
            .Select(w => new WorkloadSummary(w.Name, Of(w, w.Ours), Of(w, w.Koa), Of(w, w.Limit), Of(w, w.Peer)))];
    }

    /// <summary>The first line under the title: when, where and how the run was made; the chart repeats it.</summary>
    /// <param name="settings">The run's settings.</param>
    /// <param name="redisClient">The .NET servers' Redis client, e.g. "StackExchange.Redis 3.4.35".</param>
    public static string Conditions(BenchSettings settings, string redisClient) => string.Create(CultureInfo.InvariantCulture,
        $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores; wrk -t1 -c{settings.Connections}, {settings.DurationSeconds} s per run, {settings.Rounds} interleaved rounds (ours, koa, peer, limit, ours, …){SizeRounds(settings)}, after a {settings.WarmUpSeconds} s warm-up of each; medians over the rounds. Redis 127.0.0.1, persistence off; {redisClient} in ours, the peer and the limit server.");

    private static string SizeRounds(BenchSettings settings) =>
        settings.SizeRounds is { } rounds && rounds < settings.Rounds ? string.Create(CultureInfo.InvariantCulture, $" ({rounds} for the 1k, 16k and 60k workloads)") : "";

    public static string Markdown(string conditions, List<WorkloadSummary> summary, Dictionary<string, double> peakRss, List<(int Second, double RssMiB)>? soak,
        int soakSeconds, IReadOnlyList<RoundTripCount>? roundTrips = null)
    {
        var text = new StringBuilder();
        var f = CultureInfo.InvariantCulture;
        static string Optional(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "–";
        static string Trips(double? value) => Optional(value, "F2");
        text.AppendLine("# Benchmark results").AppendLine();
        text.AppendLine(conditions);
        text.AppendLine();
        text.AppendLine("| workload | server | req/s | 2xx/s | p50 ms | p99 ms | Redis cmds/req | + SELECT/req | 409/s | errors | round trips/req |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var ratios = new StringBuilder();
        foreach (var workload in summary)
        {
            foreach (var s in workload.Servers)
                text.AppendLine(f, $"| {workload.Workload} | {s.Server} | {s.RequestsPerSecond:F0} | {Optional(s.SuccessPerSecond, "F0")} | {s.P50Ms:F2} | {s.P99Ms:F2} | {s.CommandsPerRequest:F2} | {s.SelectsPerRequest:F2} | {Optional(s.ConflictsPerSecond, "F0")} | {s.Errors} | {Trips(s.RoundTrips)} |");
            var ours = workload.Ours.Throughput;
            var peer = workload.Peer;
            ratios.AppendLine(f, $"| {workload.Workload} | {ours / workload.Koa.Throughput:F2} | {Optional(ours / peer?.Throughput, "F2")} | {ours / workload.Limit.Throughput:F2} | {string.Join(" vs ", workload.Servers.Select(s => s.P99Ms.ToString("F2", f)))} | {string.Join(" vs ", workload.Servers.Select(s => Trips(s.RoundTrips)))} |");
        }
        text.AppendLine().AppendLine("req/s counts every answer; 2xx/s the successful ones, and 409/s the answers of a save that lost to another writer where the workload counts statuses (`hot`; – elsewhere). errors counts, over the rounds, the other answers that are not 2xx (every one where 409s are not counted apart) and socket errors. Redis cmds/req counts data commands from `INFO commandstats` during the rounds (not INFO, PING, CLIENT, ECHO), which include the commands a script runs inside: one `EVALSHA` of the compare-and-set counts as evalsha + get + set (+ time, ours: the write's deadline). SELECT is connection housekeeping that StackExchange.Redis sends, in the same packet, after a command sent through `ExecuteAsync`, and is counted apart. Round trips/req counts the commands the server itself sent (an `EVALSHA` is one, whatever its script runs; the peer's `HSET` + `EXPIRE` of a save go out as one batch but count as two, and the `EXPIRE` after each of its `HMGET`s is sent without waiting for it), seen by a `MONITOR` client in a separate pass after the rounds, one request at a time, on a warm server (see the last table); – when not counted.");
        text.AppendLine().AppendLine("| workload | ours / koa (2xx/s) | ours / peer (2xx/s) | ours / limit (2xx/s) | p99 ms: ours vs koa vs peer vs limit | round trips/req: ours vs koa vs peer vs limit |").AppendLine("|---|---:|---:|---:|---:|---:|");
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
            double Number(int i) => double.Parse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture);
            double? Optional(int i) => cells[i] == "–" ? null : Number(i);
            long Count(int i) => long.Parse(cells[i], CultureInfo.InvariantCulture);
            rows.Add((cells[0], cells.Length switch
            {
                // The first runs: no round trips.
                8 => new ServerSummary(cells[1], Number(2), Number(3), Number(4), Number(5), Number(6), Count(7)),
                // Then round trips/req.
                9 => new ServerSummary(cells[1], Number(2), Number(3), Number(4), Number(5), Number(6), Count(7), Optional(8)),
                // Since the peer and the hot workload: 2xx/s after req/s, 409/s before errors.
                11 => new ServerSummary(cells[1], Number(2), Number(4), Number(5), Number(6), Number(7), Count(9), Optional(10), Optional(3), Optional(8)),
                _ => throw new FormatException($"Expected 8, 9 or 11 cells: {line}"),
            }));
        }
        // Each workload's rows come in the order the report writes them: ours, koa, (peer,) limit.
        var summary = rows.GroupBy(r => r.Workload).Select(g => g.Select(r => r.Server).ToList() switch
        {
            [var ours, var koa, var limit] => new WorkloadSummary(g.Key, ours, koa, limit),
            [var ours, var koa, var peer, var limit] => new WorkloadSummary(g.Key, ours, koa, limit, peer),
            var servers => throw new FormatException($"Workload {g.Key} has {servers.Count} servers, not 3 (ours, koa, limit) or 4 (ours, koa, peer, limit)."),
        }).ToList();
        if (summary.Count == 0) throw new FormatException("The results table is empty.");
        return (conditions, summary);
    }
}
