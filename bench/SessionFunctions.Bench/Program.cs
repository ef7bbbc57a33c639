using System.Globalization;
using SessionFunctions.Bench;

// Usage: dotnet SessionFunctions.Bench.dll [--duration 5] [--rounds 3] [--connections 16] [--soak 60]
//        [--warmup 5] [--size-rounds N] [--no-count] [--workloads read,patch,…]
//        dotnet SessionFunctions.Bench.dll --chart-only   (redraws results/latest.svg from results/latest.md, runs nothing)
var settings = BenchSettings.Parse(args);
var latest = Path.Combine(settings.ResultsDirectory, "latest");
if (args.Contains("--chart-only"))
{
    var (conditions, summary) = Report.Parse(File.ReadAllText(latest + ".md"));
    File.WriteAllText(latest + ".svg", Chart.Svg(conditions, summary));
    Console.WriteLine($"wrote {latest}.svg");
    return;
}

await using var bench = await Bench.StartAsync(settings);
var started = DateTime.UtcNow;
var results = await bench.RunAsync();
var roundTrips = settings.CountRoundTrips ? await bench.CountRoundTripsAsync() : null;
var soak = settings.SoakSeconds > 0 ? await bench.SoakAsync() : null;
Console.Error.WriteLine($"measured in {(DateTime.UtcNow - started).TotalMinutes:F1} min");
var conditionsLine = Report.Conditions(settings, bench.RedisClient);
var summaries = Report.Summarize(results, roundTrips);
var report = Report.Markdown(conditionsLine, summaries, bench.PeakRss(), soak, settings.SoakSeconds, roundTrips);

Directory.CreateDirectory(settings.ResultsDirectory);
var stamp = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HHmm", CultureInfo.InvariantCulture);
File.WriteAllText(latest + ".md", report);
File.WriteAllText(Path.Combine(settings.ResultsDirectory, $"{stamp}.md"), report);
// Drawn from the Markdown just written, as --chart-only does, so the chart always shows the numbers of the table.
var (chartConditions, chartSummary) = Report.Parse(report);
File.WriteAllText(latest + ".svg", Chart.Svg(chartConditions, chartSummary));
Console.WriteLine(report);
