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
