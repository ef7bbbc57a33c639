using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// A real redis-server on a free loopback port, with persistence off, for one test collection. It fails loudly when
/// redis-server is missing: the README's test command installs it.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private Process? _process;
    private ConnectionMultiplexer? _admin;

    public int Port { get; private set; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public IDatabase Database => _admin!.GetDatabase();

    public async Task InitializeAsync()
    {
        Port = FreePort();
        await StartAsync();
    }

    public async Task StartAsync()
    {
        var executable = Environment.GetEnvironmentVariable("REDIS_SERVER") ?? "redis-server";
        try
        {
            _process = Process.Start(new ProcessStartInfo(executable,
                $"--port {Port} --bind 127.0.0.1 --save \"\" --appendonly no --protected-mode yes")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new InvalidOperationException(
                "redis-server was not found on PATH. Install it (apt-get install redis-server) or run the README's test command, which does.", error);
        }
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                _admin ??= await ConnectionMultiplexer.ConnectAsync($"{ConnectionString},allowAdmin=true,abortConnect=false");
                if (_admin.IsConnected && (string?)await _admin.GetDatabase().ExecuteAsync("PING") == "PONG") return;
            }
            catch (RedisException) when (DateTime.UtcNow < deadline)
            {
            }
            if (_process.HasExited) throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode} on port {Port}.");
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"redis-server did not answer on port {Port} within 10 s.");
            await Task.Delay(50);
        }
    }

    /// <summary>Stops the server (as an outage would), keeping the port for <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

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

    public async Task DisposeAsync()
    {
        _admin?.Dispose();
        await StopAsync();
    }

    private static readonly HashSet<string> AdminCommands =
        ["info", "ping", "echo", "client", "cluster", "config", "subscribe", "unsubscribe", "select", "hello", "auth", "command", "script"];

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "redis";
}
