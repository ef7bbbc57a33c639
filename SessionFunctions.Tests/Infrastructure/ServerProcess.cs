using System.Diagnostics;
using System.Text;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>The standalone server as a real process on a loopback port, for the browser tests.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The URL a browser uses; the server itself binds 127.0.0.1 only.</summary>
    public string Url => $"http://localhost:{Port}";

    public static async Task<ServerProcess> StartAsync(IDictionary<string, string> settings)
    {
        var server = typeof(Program).Assembly.Location;
        var port = RedisServer.FreePort();
        var start = new ProcessStartInfo("dotnet", [server, "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = Path.GetDirectoryName(server),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["Spa__Root"] = RepositoryFiles.PathOf("samples", "spa");
        foreach (var (key, value) in settings) start.Environment[key] = value;

        var process = Process.Start(start)!;
        var result = new ServerProcess(process, port);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            lock (result._output) result._output.AppendLine(e.Data);
            if (e.Data?.Contains("Now listening on", StringComparison.Ordinal) == true) listening.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { lock (result._output) result._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(listening.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30))) != listening.Task)
        {
            await result.DisposeAsync();
            lock (result._output) throw new InvalidOperationException("The server did not start:\n" + result._output);
        }
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
