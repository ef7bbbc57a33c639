using System.Globalization;
using SessionFunctions.Bench;

// Usage: dotnet SessionFunctions.Bench.dll [--duration 5] [--rounds 3] [--connections 16] [--soak 60]
var settings = BenchSettings.Parse(args);
await using var bench = await Bench.StartAsync(settings);
var results = await bench.RunAsync();
var soak = settings.SoakSeconds > 0 ? await bench.SoakAsync() : null;
var report = Report.Markdown(settings, results, bench.PeakRss(), soak);

Directory.CreateDirectory(settings.ResultsDirectory);
var stamp = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HHmm", CultureInfo.InvariantCulture);
File.WriteAllText(Path.Combine(settings.ResultsDirectory, "latest.md"), report);
File.WriteAllText(Path.Combine(settings.ResultsDirectory, $"{stamp}.md"), report);
Console.WriteLine(report);
