using System.Globalization;
using System.Xml.Linq;
using SessionFunctions.Bench;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// The benchmark's chart (bench/results/latest.svg, in the README): drawn by the harness from the results, well-formed
/// SVG with every number of the table on it, and the committed chart is the one of the committed results.
/// </summary>
public sealed class BenchChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private const string Results = """
        # Benchmark results

        2026-11-21 18:31 UTC, 2 cores; wrk -t1 -c16, 5 s per run, 5 interleaved rounds (ours, koa, limit, ours, …); medians over the rounds.

        | workload | server | req/s | p50 ms | p99 ms | Redis cmds/req | + SELECT/req | errors |
        |---|---|---:|---:|---:|---:|---:|---:|
        | read | ours | 32299 | 0.39 | 1.80 | 1.00 | 0.00 | 0 |
        | read | koa | 9270 | 1.36 | 13.83 | 1.00 | 0.00 | 0 |
        | read | limit | 35932 | 0.32 | 1.83 | 1.00 | 0.00 | 0 |
        | rolling | ours-rolling | 19983 | 0.66 | 2.53 | 2.00 | 1.00 | 0 |
        | rolling | koa-rolling | 6662 | 2.05 | 14.28 | 2.00 | 0.00 | 0 |
        | rolling | limit | 30213 | 0.43 | 1.94 | 2.00 | 0.00 | 0 |

        | workload | ours / koa (req/s) | ours / limit (req/s) | p99 ms, ours vs koa |
        """;

    // The report's format since the ASP.NET Core Session peer and the hot workload: four servers, 2xx/s and 409/s.
    private const string ResultsWithPeer = """
        # Benchmark results

        2026-12-04 10:00 UTC, 2 cores; wrk -t1 -c16, 5 s per run, 5 interleaved rounds (ours, koa, peer, limit, ours, …); medians over the rounds.

        | workload | server | req/s | 2xx/s | p50 ms | p99 ms | Redis cmds/req | + SELECT/req | 409/s | errors | round trips/req |
        |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
        | read | ours | 21172 | 21172 | 0.64 | 1.99 | 1.00 | 0.00 | – | 0 | 1.00 |
        | read | koa | 6433 | 6433 | 2.20 | 14.21 | 1.00 | 0.00 | – | 0 | 1.00 |
        | read | peer | 9000 | 9000 | 1.50 | 5.00 | 4.00 | 0.00 | – | 0 | 4.00 |
        | read | limit | 33560 | 33560 | 0.40 | 1.39 | 1.00 | 0.00 | – | 0 | 1.00 |
        | hot | ours | 4000 | 3000 | 3.00 | 9.00 | 5.00 | 0.00 | 1000 | 2 | 1.00 |
        | hot | koa | 4500 | 4500 | 3.10 | 14.10 | 2.00 | 0.00 | 0 | 0 | 2.00 |
        | hot | peer | 5000 | 5000 | 2.00 | 6.00 | 6.00 | 0.00 | 0 | 0 | 6.00 |
        | hot | limit | 12000 | 8000 | 1.00 | 3.00 | 3.50 | 0.00 | 4000 | 0 | 1.00 |
        """;

    [Fact]
    public void The_chart_is_well_formed_svg_with_every_number_of_the_results()
    {
        var (conditions, summary) = Report.Parse(Results);
        var svg = XDocument.Parse(Chart.Svg(conditions, summary));

        var root = svg.Root!;
        Assert.Equal(Svg + "svg", root.Name);
        Assert.NotNull(root.Attribute("viewBox"));
        Assert.NotNull(root.Element(Svg + "title"));
        var texts = root.Descendants(Svg + "text").Select(t => t.Value).ToList();
        foreach (var value in new[] { "32,299", "9,270", "35,932", "19,983", "6,662", "30,213", "1.80", "13.83", "1.83", "2.53", "14.28", "1.94" })
            Assert.Contains(value, texts);
        Assert.Contains("read", texts);
        Assert.Contains("rolling", texts);
        Assert.Contains(texts, t => t.StartsWith("ours ", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.StartsWith("koa ", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.StartsWith("limit ", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("requests per second", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("p99", StringComparison.Ordinal));
        Assert.Contains("ours = 3.48× koa, 0.90× limit", texts);
        Assert.Contains(texts, t => t.Contains("2026-11-21 18:31 UTC", StringComparison.Ordinal));
    }

    [Fact]
    public void Bar_heights_are_proportional_to_the_values()
    {
        var (conditions, summary) = Report.Parse(Results);
        var svg = XDocument.Parse(Chart.Svg(conditions, summary));

        // Each workload group holds its bars (rect) in the order ours, koa, limit; the first panel is req/s, the second p99.
        var groups = svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "workload").ToList();
        Assert.Equal(4, groups.Count);
        double Height(XElement group, int bar) =>
            double.Parse(group.Elements(Svg + "rect").ElementAt(bar).Attribute("height")!.Value, CultureInfo.InvariantCulture);
        var read = groups[0];
        Assert.Equal("read", (string?)read.Attribute("data-workload"));
        Assert.Equal(32299.0 / 35932, Height(read, 0) / Height(read, 2), 2);
        Assert.Equal(9270.0 / 35932, Height(read, 1) / Height(read, 2), 2);
        var readLatency = groups[2];
        Assert.Equal(1.80 / 13.83, Height(readLatency, 0) / Height(readLatency, 1), 2);
    }

    [Fact]
    public void The_markdown_report_reads_back_as_written()
    {
        var (conditions, summary) = Report.Parse(Results);
        var written = Report.Markdown(conditions, summary, new Dictionary<string, double> { ["ours"] = 139 }, soak: null, soakSeconds: 0);
        var (again, reread) = Report.Parse(written);

        Assert.Equal(conditions, again);
        Assert.Equal(summary, reread);
        Assert.Equal(["read", "rolling"], summary.Select(w => w.Workload));
        Assert.Equal("ours-rolling", summary[1].Ours.Server);
        Assert.Equal(14.28, summary[1].Koa.P99Ms);
    }

    [Fact]
    public void A_report_with_the_peer_reads_back_with_its_2xx_and_409_rates()
    {
        var (conditions, summary) = Report.Parse(ResultsWithPeer);

        Assert.Equal(["read", "hot"], summary.Select(w => w.Workload));
        var read = summary[0];
        Assert.Equal("peer", read.Peer!.Server);
        Assert.Equal(["ours", "koa", "peer", "limit"], read.Servers.Select(s => s.Server));
        Assert.Equal(9000, read.Peer.RequestsPerSecond);
        Assert.Equal(4.00, read.Peer.RoundTrips);
        Assert.Null(read.Ours.ConflictsPerSecond);
        var hot = summary[1];
        Assert.Equal(4000, hot.Ours.RequestsPerSecond);
        Assert.Equal(3000, hot.Ours.SuccessPerSecond);
        Assert.Equal(1000, hot.Ours.ConflictsPerSecond);
        Assert.Equal(2, hot.Ours.Errors);
        Assert.Equal(0, hot.Peer!.ConflictsPerSecond);

        var written = Report.Markdown(conditions, summary, new Dictionary<string, double> { ["peer"] = 120 }, soak: null, soakSeconds: 0);
        Assert.Equal(summary, Report.Parse(written).Summary);
        // The ratios compare successful answers: ours' 3,000 2xx/s of hot against the peer's 5,000.
        Assert.Contains("| hot | 0.67 | 0.60 | 0.38 | 9.00 vs 14.10 vs 6.00 vs 3.00 | 1.00 vs 2.00 vs 6.00 vs 1.00 |", written, StringComparison.Ordinal);
    }

    [Fact]
    public void The_peer_is_a_series_of_its_own_and_the_bars_show_successful_answers()
    {
        var (conditions, summary) = Report.Parse(ResultsWithPeer);
        var svg = XDocument.Parse(Chart.Svg(conditions, summary));

        var texts = svg.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("peer (ASP.NET Core Session)", texts);
        Assert.Contains(texts, t => t.Contains("successful (2xx) requests per second", StringComparison.Ordinal));
        foreach (var value in new[] { "21,172", "9,000", "3,000", "5,000", "8,000", "5.00", "6.00" })
            Assert.Contains(value, texts);
        Assert.DoesNotContain("4,000", texts); // ours' req/s of hot, 409s included: the bar is its 2xx/s
        Assert.Contains("ours = 3.29× koa, 0.63× limit", texts);
        Assert.Contains("ours = 2.35× peer", texts);
        Assert.Contains("409/s: ours 1,000, limit 4,000", texts);
        Assert.Contains("peer's p99 = 2.5× ours", texts);

        var groups = svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "workload").ToList();
        Assert.Equal(4, groups.Count);
        IReadOnlyList<XElement> Bars(XElement group) => [.. group.Elements(Svg + "rect")];
        double Height(XElement group, int bar) => double.Parse(Bars(group)[bar].Attribute("height")!.Value, CultureInfo.InvariantCulture);
        var read = groups[0];
        Assert.Equal(4, Bars(read).Count);
        Assert.Equal(["#2563eb", "#f59e0b", "#7c3aed", "#9ca3af"], Bars(read).Select(b => b.Attribute("fill")!.Value));
        Assert.Equal(9000.0 / 33560, Height(read, 2) / Height(read, 3), 2);
        var hot = groups[1];
        Assert.Equal(3000.0 / 8000, Height(hot, 0) / Height(hot, 3), 2);

        // A report without the peer keeps its three series and its legend.
        var (oldConditions, oldSummary) = Report.Parse(Results);
        var oldTexts = XDocument.Parse(Chart.Svg(oldConditions, oldSummary)).Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.DoesNotContain(oldTexts, t => t.StartsWith("peer", StringComparison.Ordinal));
    }

    /// <summary>
    /// bench/run.sh rewrites both; after an edit of either, <c>dotnet run --project bench/SessionFunctions.Bench -- --chart-only</c>
    /// redraws the chart.
    /// </summary>
    [Fact]
    public void The_committed_chart_is_the_chart_of_the_committed_results()
    {
        var (conditions, summary) = Report.Parse(RepositoryFiles.Read("bench", "results", "latest.md"));
        Assert.True(Chart.Svg(conditions, summary) == RepositoryFiles.Read("bench", "results", "latest.svg"),
            "bench/results/latest.svg is not the chart of bench/results/latest.md: " +
            "run `dotnet run --project bench/SessionFunctions.Bench -- --chart-only`.");
    }
}
