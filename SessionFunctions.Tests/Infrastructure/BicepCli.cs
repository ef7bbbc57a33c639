using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>One diagnostic of the Bicep CLI: <c>file(line,column) : Level Code: message</c>.</summary>
public sealed record BicepDiagnostic(string File, int Line, int Column, string Level, string Code, string Message)
{
    public override string ToString() => $"{Path.GetFileName(File)}({Line},{Column}) {Level} {Code}: {Message}";
}

/// <summary>What one run of the Bicep CLI printed, and the diagnostics in it.</summary>
public sealed record BicepRun(string Command, int ExitCode, string Output, IReadOnlyList<BicepDiagnostic> Diagnostics)
{
    public IEnumerable<BicepDiagnostic> ErrorsAndWarnings => Diagnostics.Where(d => d.Level is "Error" or "Warning");

    /// <summary>The lines of the output that are not diagnostics: anything the CLI says besides them is a finding too.</summary>
    public IEnumerable<string> OtherOutput => Output.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0 && !BicepCli.IsDiagnostic(l));

    public override string ToString() => $"bicep {Command} (exit code {ExitCode}):\n{Output}";
}

/// <summary>
/// The Bicep CLI from the NuGet package Azure.Bicep.CommandLine.linux-x64, which the test project downloads
/// (PackageDownload) and whose path it records in the assembly's metadata. Every run passes --no-restore: without
/// registry modules there is nothing to restore, and restoring fetches the public module index from the network.
/// </summary>
public static partial class BicepCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public static string ExecutablePath { get; } = FindExecutable();

    /// <summary>Runs <c>bicep</c> with <paramref name="arguments"/> and --no-restore, in the repository's root.</summary>
    public static BicepRun Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(ExecutablePath, [.. arguments, "--no-restore"])
        {
            WorkingDirectory = RepositoryFiles.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{ExecutablePath} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} ran longer than {Timeout}.");
        }
        var output = stdout.Result + stderr.Result;
        var diagnostics = output.Split('\n').Select(l => DiagnosticLine().Match(l.TrimEnd())).Where(m => m.Success)
            .Select(m => new BicepDiagnostic(
                m.Groups["file"].Value,
                int.Parse(m.Groups["line"].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups["column"].Value, CultureInfo.InvariantCulture),
                m.Groups["level"].Value,
                m.Groups["code"].Value,
                m.Groups["message"].Value))
            .ToList();
        return new BicepRun(string.Join(' ', arguments), process.ExitCode, output, diagnostics);
    }

    internal static bool IsDiagnostic(string line) => DiagnosticLine().IsMatch(line);

    [GeneratedRegex(@"^(?<file>.+)\((?<line>\d+),(?<column>\d+)\) : (?<level>Error|Warning|Info) (?<code>[^:]+): (?<message>.*)$")]
    private static partial Regex DiagnosticLine();

    private static string FindExecutable()
    {
        var path = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == "BicepCli")?.Value;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
            throw new InvalidOperationException($"The Bicep CLI is not at '{path}': restore SessionFunctions.Tests, which downloads Azure.Bicep.CommandLine.linux-x64.");
        // The package is the linux-x64 build. NuGet does not promise to keep a file's Unix mode when it extracts a
        // package; the binary must be executable to run.
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("The test project downloads the Bicep CLI for linux-x64 only.");
        var mode = File.GetUnixFileMode(path);
        if (!mode.HasFlag(UnixFileMode.UserExecute)) File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute);
        return path;
    }
}
