using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SessionFunctions.Bench;

/// <summary>A process the benchmark started: redis-server, a server under test.</summary>
public sealed class Service(string name, Process process, int port) : IAsyncDisposable
{
    public string Name { get; } = name;
    public int Port { get; } = port;
    public string Url => $"http://127.0.0.1:{Port}";

    public static async Task<Service> StartAsync(string name, string file, IEnumerable<string> args, string workingDirectory,
        int port, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (!string.IsNullOrEmpty(e.Data) && !IsAbortNoise(e.Data)) Console.Error.WriteLine($"[{name}] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new Service(name, process, port);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await service.AcceptsConnectionsAsync())
        {
            if (process.HasExited) throw new InvalidOperationException($"{name} exited with code {process.ExitCode}.");
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"{name} did not listen on port {port} within 60 s.");
            await Task.Delay(100);
        }
        return service;
    }

    /// <summary>
    /// Node logs "Error: aborted" and its stack for every request wrk leaves unanswered when a run ends: expected, and
    /// left out of the console.
    /// </summary>
    private static bool IsAbortNoise(string line) =>
        line.TrimStart().StartsWith("Error: aborted", StringComparison.Ordinal) || line.TrimStart().StartsWith("at ", StringComparison.Ordinal);

    /// <summary>The process's peak resident set size (VmHWM), in MiB.</summary>
    public double PeakRssMiB() => Kibibytes("VmHWM") / 1024.0;

    /// <summary>The process's current resident set size (VmRSS), in MiB.</summary>
    public double RssMiB() => Kibibytes("VmRSS") / 1024.0;

    private long Kibibytes(string field)
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    private async Task<bool> AcceptsConnectionsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
}
