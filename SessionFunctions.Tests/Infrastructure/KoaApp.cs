using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// The real koa-generic-session + koa-redis app in <c>KoaReferenceApp/</c>, run with node on a free loopback port.
/// It fails loudly when node or the npm packages are missing: the README's test command installs both.
/// </summary>
public sealed class KoaApp : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;

    private KoaApp(Process process, int port, StringBuilder output)
    {
        _process = process;
        _output = output;
        Port = port;
    }

    public int Port { get; }

    public string BaseAddress => $"http://127.0.0.1:{Port}";

    /// <summary>The app's directory.</summary>
    public static string Directory => RepositoryFiles.PathOf("SessionFunctions.Tests", "KoaReferenceApp");

    /// <param name="redisPort">The redis-server both sides share.</param>
    /// <param name="keys">app.keys.</param>
    /// <param name="options">koa-generic-session's options (key, prefix, ttl, rolling, cookie), serialised as JSON.</param>
    /// <param name="trustProxy">app.proxy.</param>
    public static async Task<KoaApp> StartAsync(int redisPort, string[] keys, object? options = null, bool trustProxy = false)
    {
        var directory = Directory;
        if (!System.IO.Directory.Exists(Path.Combine(directory, "node_modules", "koa-generic-session")))
            throw new InvalidOperationException($"The Koa reference app's packages are not installed: run `npm ci` in {directory} (bash test.sh does).");

        var port = RedisServer.FreePort();
        var start = new ProcessStartInfo("node", ["server.js"])
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["REDIS_PORT"] = redisPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["KEYS"] = JsonSerializer.Serialize(keys);
        start.Environment["SESSION_OPTIONS"] = JsonSerializer.Serialize(options ?? new { });
        start.Environment["TRUST_PROXY"] = trustProxy ? "true" : "false";

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new InvalidOperationException("node was not found on PATH. Install Node.js 18+ (bash test.sh does).", error);
        }

        var output = new StringBuilder();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            lock (output) output.AppendLine(e.Data);
            if (e.Data?.StartsWith("listening on", StringComparison.Ordinal) == true) listening.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var app = new KoaApp(process, port, output);
        var started = await Task.WhenAny(listening.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(20)));
        if (started != listening.Task)
        {
            await app.DisposeAsync();
            throw new InvalidOperationException("The Koa reference app did not start:\n" + app.Output);
        }
        return app;
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public SessionClient CreateClient(Dictionary<string, string>? jar = null) =>
        new(new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri(BaseAddress) }, jar);

    /// <summary>Stops the app the way its SIGTERM handler does (closing stdin); the exit code says whether it was clean.</summary>
    public async Task<int> StopAsync()
    {
        if (_process.HasExited) return _process.ExitCode;
        _process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            return -1;
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}
