using System.Globalization;

namespace SessionFunctions.Bench;

/// <summary>The benchmark's knobs, from the command line.</summary>
/// <param name="DurationSeconds">One measured run (<c>--duration</c>, 5).</param>
/// <param name="Rounds">Interleaved rounds (<c>--rounds</c>, 3).</param>
/// <param name="Connections">wrk's connections (<c>--connections</c>, 16).</param>
/// <param name="SoakSeconds">A memory soak of the write workload after the rounds (<c>--soak</c>, 0: none).</param>
/// <param name="Root">The repository.</param>
/// <param name="WarmUpSeconds">The unmeasured run of each server and workload before the rounds (<c>--warmup</c>, 5).</param>
/// <param name="SizeRounds">At most this many rounds for the 1k, 16k and 60k workloads (<c>--size-rounds</c>; default: all).</param>
/// <param name="CountRoundTrips">Run the round-trip counting pass after the rounds (<c>--no-count</c> skips it).</param>
/// <param name="Workloads">Only these workloads (<c>--workloads read,patch</c>; default: all).</param>
public sealed record BenchSettings(int DurationSeconds, int Rounds, int Connections, int SoakSeconds, string Root,
    int WarmUpSeconds = 5, int? SizeRounds = null, bool CountRoundTrips = true, IReadOnlySet<string>? Workloads = null)
{
    public string ResultsDirectory => Path.Combine(Root, "bench", "results");

    public static BenchSettings Parse(string[] args)
    {
        string? Value(string name)
        {
            var index = Array.IndexOf(args, "--" + name);
            return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
        }
        int Get(string name, int fallback) => Value(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
        var root = Directory.GetCurrentDirectory();
        while (!File.Exists(Path.Combine(root, "SessionFunctions.sln")))
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Run the benchmark from inside the repository.");
        var workloads = Value("workloads")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        var unknown = workloads?.Except(Bench.Workloads.Select(w => w.Name)).ToList();
        if (unknown is { Count: > 0 }) throw new ArgumentException($"Unknown workloads: {string.Join(", ", unknown)}.");
        return new BenchSettings(Get("duration", 5), Get("rounds", 3), Get("connections", 16), Get("soak", 0), root,
            Get("warmup", 5), Value("size-rounds") is null ? null : Get("size-rounds", 0), !args.Contains("--no-count"), workloads);
    }
}
