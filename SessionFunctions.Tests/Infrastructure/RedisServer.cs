using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// A real redis-server on a free loopback port, with persistence off unless <see cref="Arguments"/> turn it on, for one
/// test collection or one fault test. It fails loudly when redis-server is missing: the README's test command installs
/// it. Fault tests start their own instance and kill (<see cref="KillAsync"/>), pause (<see cref="PauseAsync"/>) or
/// fill it; <see cref="StartAsync"/> restarts it on the same port and data directory, so an append-only file is
/// loaded again.
/// </summary>
public sealed class RedisServer : IAsyncLifetime, IAsyncDisposable
{
    private const int OutputLines = 40;

    private readonly Queue<string> _output = new();
    private Process? _process;
    private ConnectionMultiplexer? _admin;
    private string? _dataDirectory;

    /// <summary>
    /// Extra redis-server arguments, after the defaults (later ones win), e.g.
    /// <c>["--appendonly", "yes", "--appendfsync", "always"]</c> or <c>["--maxmemory", "4mb", "--maxmemory-policy", "noeviction"]</c>.
    /// </summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    public int Port { get; private set; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public IDatabase Database => _admin!.GetDatabase();

    /// <summary>The server's working directory (<c>--dir</c>): its append-only file, if any, lives here until disposal.</summary>
    public string DataDirectory => _dataDirectory ?? throw new InvalidOperationException("The server has not been initialized.");

    /// <summary>A started server with extra <paramref name="arguments"/>, for a test that kills, pauses or fills it (<c>await using</c>).</summary>
    public static async Task<RedisServer> StartNewAsync(params string[] arguments)
    {
        var server = new RedisServer { Arguments = arguments };
        try
        {
            await server.InitializeAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    public async Task InitializeAsync()
    {
        Port = FreePort();
        _dataDirectory = Directory.CreateTempSubdirectory("redis-test-").FullName;
        await StartAsync();
    }

    /// <summary>Starts the server (again, after a kill or stop) on the same port and data directory, and waits until it answers PING.</summary>
    public async Task StartAsync()
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException($"redis-server is already running on port {Port}.");
        _process?.Dispose();
        var executable = Environment.GetEnvironmentVariable("REDIS_SERVER") ?? "redis-server";
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])
                 ["--port", $"{Port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--dir", DataDirectory, .. Arguments])
        {
            start.ArgumentList.Add(argument);
        }
        try
        {
            _process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new InvalidOperationException(
                "redis-server was not found on PATH. Install it (apt-get install redis-server) or run the README's test command, which does.", error);
        }
        _process.OutputDataReceived += (_, e) => Remember(e.Data);
        _process.ErrorDataReceived += (_, e) => Remember(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        DateTime? connectedAt = null;
        while (true)
        {
            try
            {
                // The first admin connection is made only once the port accepts, and made again if it has not come up
                // within 2 s: a multiplexer whose first attempt failed reconnects on its own schedule, which once took
                // longer than the whole deadline on a busy machine.
                if (connectedAt is { } at && _admin is { IsConnected: false } && DateTime.UtcNow - at > TimeSpan.FromSeconds(2))
                {
                    _admin.Dispose();
                    _admin = null;
                }
                if (_admin is null && await AcceptsAsync(Port))
                {
                    _admin = await ConnectionMultiplexer.ConnectAsync($"{ConnectionString},allowAdmin=true,abortConnect=false");
                    connectedAt = DateTime.UtcNow;
                }
                if (_admin is { IsConnected: true } && (string?)await _admin.GetDatabase().ExecuteAsync("PING") == "PONG") return;
            }
            catch (Exception error) when (error is RedisException or TimeoutException && DateTime.UtcNow < deadline)
            {
                // Still starting, loading its append-only file, or the admin connection is still reconnecting.
            }
            if (_process.HasExited) throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode} on port {Port}:\n{Output()}");
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"redis-server did not answer on port {Port} within 10 s:\n{Output()}");
            await Task.Delay(50);
        }
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        try
        {
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception error) when (error is System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Stops the server (as an outage would), keeping the port for <see cref="StartAsync"/>. The same as <see cref="KillAsync"/>.</summary>
    public Task StopAsync() => KillAsync();

    /// <summary>SIGKILL, as a crash or an OOM kill: no shutdown save, no goodbye to clients. <see cref="StartAsync"/> restarts it.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(); // SIGKILL on Unix; it also ends a paused (SIGSTOP) server
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>SIGSTOP: the server keeps its sockets open and answers nothing, as a hung host or a long GC pause would.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>SIGCONT: a paused server carries on with whatever arrived meanwhile.</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    /// <summary>All keys with their values (the type name for a non-string) and PTTL, in one Lua round trip.</summary>
    public async Task<RedisSnapshot> SnapshotAsync()
    {
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(SnapshotScript))!;
        var keys = new Dictionary<string, RedisSnapshot.Entry>(StringComparer.Ordinal);
        for (var i = 0; i + 2 < result.Length; i += 3)
        {
            var ttl = (long)result[i + 2];
            if (ttl == -2) continue; // expired between SCAN and PTTL
            keys[(string)result[i]!] = new RedisSnapshot.Entry((byte[])result[i + 1]!, ttl);
        }
        return new RedisSnapshot(keys, Stopwatch.GetTimestamp());
    }

    // SCAN inside the script: one atomic view, however many keys there are.
    private const string SnapshotScript = """
        local out = {}
        local cursor = "0"
        repeat
          local page = redis.call("SCAN", cursor, "COUNT", 1000)
          cursor = page[1]
          for _, key in ipairs(page[2]) do
            local kind = redis.call("TYPE", key)["ok"]
            local value = kind
            if kind == "string" then value = redis.call("GET", key) end
            out[#out + 1] = key
            out[#out + 1] = value
            out[#out + 1] = redis.call("PTTL", key)
          end
        until cursor == "0"
        return out
        """;

    /// <summary>The number of calls of each data command so far, from <c>INFO commandstats</c>.</summary>
    public async Task<Dictionary<string, long>> CommandCountsAsync()
    {
        var server = _admin!.GetServer(_admin.GetEndPoints()[0]);
        var info = await server.InfoAsync("commandstats");
        var counts = new Dictionary<string, long>();
        foreach (var pair in info.SelectMany(group => group))
        {
            // cmdstat_get -> calls=3,usec=...
            var name = pair.Key.Replace("cmdstat_", "", StringComparison.Ordinal);
            if (AdminCommands.Contains(name.Split('|')[0])) continue;
            var calls = pair.Value.Split(',')[0].Split('=')[1];
            counts[name] = long.Parse(calls, System.Globalization.CultureInfo.InvariantCulture);
        }
        return counts;
    }

    /// <summary>The data commands run while <paramref name="action"/> ran, e.g. {"get":1,"set":1}.</summary>
    public async Task<Dictionary<string, long>> CountCommandsAsync(Func<Task> action)
    {
        var before = await CommandCountsAsync();
        await action();
        var after = await CommandCountsAsync();
        return after
            .Select(p => (p.Key, Delta: p.Value - before.GetValueOrDefault(p.Key)))
            .Where(p => p.Delta > 0)
            .ToDictionary(p => p.Key, p => p.Delta);
    }

    /// <summary>Kills the server and removes its data directory; safe to call twice.</summary>
    public async Task DisposeAsync()
    {
        _admin?.Dispose();
        _admin = null;
        await KillAsync();
        _process?.Dispose();
        _process = null;
        if (_dataDirectory is not null && Directory.Exists(_dataDirectory)) Directory.Delete(_dataDirectory, recursive: true);
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    private static readonly HashSet<string> AdminCommands =
        ["info", "ping", "echo", "client", "cluster", "config", "subscribe", "unsubscribe", "select", "hello", "auth", "command", "script"];

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task SignalAsync(string signal)
    {
        if (_process is not { HasExited: false }) throw new InvalidOperationException($"redis-server is not running on port {Port}.");
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, $"{_process.Id}"]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {_process.Id} failed with exit code {kill.ExitCode}.");
    }

    private void Remember(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > OutputLines) _output.Dequeue();
        }
    }

    private string Output()
    {
        lock (_output) return string.Join('\n', _output);
    }
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "redis";
}
