using System.Globalization;

namespace SessionFunctions.Bench;

/// <summary>The benchmark's knobs, from the command line.</summary>
public sealed record BenchSettings(int DurationSeconds, int Rounds, int Connections, int SoakSeconds, string Root)
{
    public string ResultsDirectory => Path.Combine(Root, "bench", "results");

    public static BenchSettings Parse(string[] args)
    {
        int Get(string name, int fallback)
        {
            var index = Array.IndexOf(args, "--" + name);
            return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
        }
        var root = Directory.GetCurrentDirectory();
        while (!File.Exists(Path.Combine(root, "SessionFunctions.sln")))
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Run the benchmark from inside the repository.");
        return new BenchSettings(Get("duration", 5), Get("rounds", 3), Get("connections", 16), Get("soak", 0), root);
    }
}
