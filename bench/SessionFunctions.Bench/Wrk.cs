using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace SessionFunctions.Bench;

/// <summary>One wrk run's numbers.</summary>
/// <param name="RequestsPerSecond">Completed requests per second.</param>
/// <param name="Requests">Completed requests.</param>
/// <param name="Errors">Answers other than 2xx or 3xx, and socket errors (connect, read, write, timeout).</param>
/// <param name="P50Ms">Median latency.</param>
/// <param name="P99Ms">99th percentile latency.</param>
/// <param name="NonSuccess">Answers other than 2xx or 3xx alone.</param>
/// <param name="Statuses">Answers by status, when the run counted them (<c>COUNT_STATUS</c>); else null.</param>
public sealed record WrkResult(double RequestsPerSecond, long Requests, long Errors, double P50Ms, double P99Ms, long NonSuccess = 0,
    IReadOnlyDictionary<int, long>? Statuses = null)
{
    /// <summary>2xx answers per second: the statuses when counted, else every answer wrk did not count as non-2xx/3xx.</summary>
    public double SuccessPerSecond => Requests == 0 ? 0 : RequestsPerSecond * (Statuses is { } statuses
        ? statuses.Where(s => s.Key is >= 200 and < 300).Sum(s => s.Value)
        : Requests - NonSuccess) / Requests;

    /// <summary>409 answers per second, when the statuses were counted; else null.</summary>
    public double? ConflictsPerSecond => Statuses is { } statuses
        ? Requests == 0 ? 0 : RequestsPerSecond * statuses.GetValueOrDefault(409) / Requests
        : null;

    /// <summary>409 answers, when the statuses were counted; else 0.</summary>
    public long Conflicts => Statuses?.GetValueOrDefault(409) ?? 0;
}

/// <summary>Runs wrk (Debian's package) with bench/wrk/sessions.lua and parses its report.</summary>
public static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(string root, string url, int connections, int seconds, IDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("wrk",
            ["-t1", $"-c{connections}", $"-d{seconds}s", "--latency", "-s", Path.Combine(root, "bench", "wrk", "sessions.lua"), url])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start: apt-get install wrk");
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException("wrk failed: " + await process.StandardError.ReadToEndAsync());
        return Parse(output);
    }

    public static WrkResult Parse(string output)
    {
        double Latency(string percentile)
        {
            var match = Regex.Match(output, @"^\s*" + percentile + @"%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
            var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
        }
        var requests = long.Parse(RequestsRegex().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var errors = NonSuccessRegex().Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var socketErrors = SocketErrorsRegex().Match(output) is { Success: true } s
            ? s.Groups.Values.Skip(1).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture))
            : 0;
        var statuses = StatusRegex().Matches(output).ToDictionary(
            m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        return new WrkResult(
            double.Parse(RpsRegex().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            requests, errors + socketErrors, Latency("50"), Latency("99"), errors, statuses.Count == 0 ? null : statuses);
    }

    // Printed by wrk/sessions.lua's done() when COUNT_STATUS is set.
    [GeneratedRegex(@"^status (\d{3}) (\d+)$", RegexOptions.Multiline)]
    private static partial Regex StatusRegex();

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RpsRegex();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestsRegex();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex NonSuccessRegex();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrorsRegex();
}
