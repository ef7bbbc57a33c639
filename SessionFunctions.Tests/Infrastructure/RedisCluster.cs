using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// A real Redis Cluster of three masters and no replicas on loopback, as the test collection
/// <see cref="RedisClusterCollection"/> shares it: three <c>redis-server --cluster-enabled yes</c> on free ports, joined by
/// <c>redis-cli --cluster create</c>, ready once every node reports <c>cluster_state:ok</c>. Each master holds about a
/// third of the 16,384 hash slots, so a client that is not cluster-aware, or a command that spans slots, fails here
/// (<c>MOVED</c>, <c>CROSSSLOT</c>) as it would on Azure Managed Redis with the OSS clustering policy. It fails loudly
/// when redis-server or redis-cli is missing; disposal kills the servers and removes their directory.
/// </summary>
public sealed class RedisCluster : IAsyncLifetime, IAsyncDisposable
{
    public const int Masters = 3;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly List<Process> _processes = [];
    private readonly List<int> _ports = [];
    private readonly List<int> _busPorts = [];
    private ConnectionMultiplexer? _admin;
    private string? _directory;

    /// <summary>The client ports of the masters, in the order <c>--cluster create</c> gave them slots (0–5460 first).</summary>
    public IReadOnlyList<int> Ports => _ports;

    /// <summary>Every master, as the app's <c>Redis:ConnectionString</c> names them: <c>127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3</c>.</summary>
    public string ConnectionString => string.Join(',', _ports.Select(p => $"127.0.0.1:{p}"));

    /// <summary>A cluster-aware database for arranging and inspecting keys.</summary>
    public IDatabase Database => Admin.GetDatabase();

    private ConnectionMultiplexer Admin => _admin ?? throw new InvalidOperationException("The cluster has not been initialized.");

    public async Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("redis-cluster-test-").FullName;
        try
        {
            for (var i = 0; i < Masters; i++) StartNode();
            foreach (var port in _ports) await WaitForAsync(port, "PING", reply => reply.Trim() == "PONG");

            var nodes = _ports.Select(p => $"127.0.0.1:{p}");
            var create = await CliAsync(["--cluster", "create", .. nodes, "--cluster-replicas", "0", "--cluster-yes"]);
            if (create.ExitCode != 0) throw new InvalidOperationException($"redis-cli --cluster create failed ({create.ExitCode}):\n{create.Output}\n{Logs()}");

            // --cluster create returns once the nodes agree on the slots; each one turns "ok" when gossip has reached it.
            foreach (var port in _ports)
            {
                await WaitForAsync(port, "CLUSTER INFO", reply =>
                    reply.Contains("cluster_state:ok", StringComparison.Ordinal)
                    && reply.Contains($"cluster_known_nodes:{Masters}", StringComparison.Ordinal)
                    && reply.Contains("cluster_slots_ok:16384", StringComparison.Ordinal));
            }
            _admin = await ConnectionMultiplexer.ConnectAsync($"{ConnectionString},allowAdmin=true");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>The master port that serves <paramref name="key"/>, from the cluster's own answer (<c>CLUSTER KEYSLOT</c>, <c>CLUSTER NODES</c>).</summary>
    public async Task<int> PortOfAsync(string key)
    {
        var slot = (int)await Database.ExecuteAsync("CLUSTER", "KEYSLOT", key);
        var nodes = await Server(_ports[0]).ClusterNodesAsync() ?? throw new InvalidOperationException("CLUSTER NODES answered nothing.");
        var node = nodes.GetBySlot(slot) ?? throw new InvalidOperationException($"No node serves slot {slot}.");
        return ((System.Net.IPEndPoint)node.EndPoint!).Port;
    }

    /// <summary>The number of keys on each master, by port (<c>DBSIZE</c>).</summary>
    public async Task<Dictionary<int, long>> KeysPerNodeAsync()
    {
        var sizes = new Dictionary<int, long>();
        foreach (var port in _ports) sizes[port] = await Server(port).DatabaseSizeAsync();
        return sizes;
    }

    /// <summary><c>SCRIPT FLUSH</c> on every master, as a failover to a fresh node or a restart does to the script cache.</summary>
    public async Task FlushScriptsAsync()
    {
        foreach (var port in _ports) await Server(port).ScriptFlushAsync();
    }

    /// <summary><c>SCRIPT LOAD</c> of each script on every master, so that a test counting commands sees no NOSCRIPT.</summary>
    public async Task LoadScriptsAsync(IEnumerable<string> scripts)
    {
        foreach (var port in _ports)
        {
            foreach (var script in scripts) await Server(port).ScriptLoadAsync(script);
        }
    }

    /// <summary>
    /// The calls of each data command summed over the masters (<c>INFO commandstats</c>), and the redirections
    /// (<c>MOVED</c>, <c>ASK</c>), <c>CROSSSLOT</c> and <c>NOSCRIPT</c> replies (<c>INFO errorstats</c>), e.g. {"get":1,"MOVED":0}. A
    /// redirected or refused command is counted only as its error, not as a call.
    /// </summary>
    public async Task<Dictionary<string, long>> CommandCountsAsync()
    {
        var counts = new Dictionary<string, long> { ["MOVED"] = 0, ["ASK"] = 0, ["CROSSSLOT"] = 0, ["NOSCRIPT"] = 0 };
        foreach (var port in _ports)
        {
            foreach (var pair in (await Server(port).InfoAsync("commandstats")).SelectMany(group => group))
            {
                // cmdstat_get -> calls=3,usec=...,rejected_calls=0,failed_calls=0
                var name = pair.Key.Replace("cmdstat_", "", StringComparison.Ordinal);
                if (AdminCommands.Contains(name.Split('|')[0])) continue;
                counts[name] = counts.GetValueOrDefault(name) + Field(pair.Value, "calls");
            }
            foreach (var pair in (await Server(port).InfoAsync("errorstats")).SelectMany(group => group))
            {
                // errorstat_MOVED -> count=2
                var name = pair.Key.Replace("errorstat_", "", StringComparison.Ordinal);
                counts[name] = counts.GetValueOrDefault(name) + Field(pair.Value, "count");
            }
        }
        return counts;
    }

    /// <summary>What <paramref name="action"/> returned, and the commands and error replies it caused over all masters (only those that grew).</summary>
    public async Task<(T Result, Dictionary<string, long> Commands)> WithCommandCountsAsync<T>(Func<Task<T>> action)
    {
        var before = await CommandCountsAsync();
        var result = await action();
        var after = await CommandCountsAsync();
        var delta = after
            .Select(p => (p.Key, Delta: p.Value - before.GetValueOrDefault(p.Key)))
            .Where(p => p.Delta > 0)
            .ToDictionary(p => p.Key, p => p.Delta);
        return (result, delta);
    }

    public async Task DisposeAsync()
    {
        _admin?.Dispose();
        _admin = null;
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
            process.Dispose();
        }
        _processes.Clear();
        if (_directory is not null && Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    // Connection housekeeping and the fixture's own inspection, not what the code under test sent.
    private static readonly HashSet<string> AdminCommands =
        ["info", "ping", "echo", "client", "cluster", "config", "subscribe", "unsubscribe", "select", "hello", "auth", "command", "script", "dbsize"];

    private IServer Server(int port) => Admin.GetServer("127.0.0.1", port);

    private static long Field(string fields, string name) =>
        fields.Split(',').Select(f => f.Split('=')).Where(f => f[0] == name).Select(f => long.Parse(f[1], CultureInfo.InvariantCulture)).FirstOrDefault();

    private void StartNode()
    {
        var port = FreePortExcept([.. _ports, .. _busPorts]);
        // The cluster bus defaults to port + 10000, which may be taken or above 65535 for an ephemeral port: choose it too.
        var busPort = FreePortExcept([.. _ports, .. _busPorts, port]);
        _ports.Add(port);
        _busPorts.Add(busPort);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("REDIS_SERVER") ?? "redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])
                 ["--port", $"{port}", "--bind", "127.0.0.1", "--protected-mode", "yes",
                  "--cluster-enabled", "yes", "--cluster-port", $"{busPort}", "--cluster-config-file", Path.Combine(_directory!, $"nodes-{port}.conf"),
                  "--dir", _directory!, "--save", "", "--appendonly", "no", "--logfile", Path.Combine(_directory!, $"redis-{port}.log")])
        {
            start.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new InvalidOperationException(
                "redis-server was not found on PATH. Install it (apt-get install redis-server, which brings redis-cli in redis-tools) " +
                "or run the README's test command, which does.", error);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
    }

    private static int FreePortExcept(IEnumerable<int> taken)
    {
        var avoid = taken.ToHashSet();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var port = RedisServer.FreePort();
            if (!avoid.Contains(port)) return port;
        }
        throw new InvalidOperationException("No free loopback port was found.");
    }

    private async Task WaitForAsync(int port, string command, Func<string, bool> ready)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        var last = "";
        while (true)
        {
            var reply = await CliAsync(["-p", $"{port}", .. command.Split(' ')]);
            last = reply.Output;
            if (reply.ExitCode == 0 && ready(reply.Output)) return;
            if (_processes.FirstOrDefault(p => p.HasExited) is { } exited)
                throw new InvalidOperationException($"A cluster node exited with code {exited.ExitCode}:\n{Logs()}");
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"Redis on port {port} did not answer {command} as expected within {StartTimeout.TotalSeconds} s:\n{last}\n{Logs()}");
            await Task.Delay(50);
        }
    }

    private static async Task<(int ExitCode, string Output)> CliAsync(string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("REDIS_CLI") ?? "redis-cli")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-h");
        start.ArgumentList.Add("127.0.0.1");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new InvalidOperationException(
                "redis-cli was not found on PATH. Install it (apt-get install redis-tools; Debian's redis-server package depends on it) " +
                "or run the README's test command, which does.", error);
        }
        using (process)
        {
            using var timeout = new CancellationTokenSource(StartTimeout);
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                throw new InvalidOperationException($"redis-cli {string.Join(' ', arguments)} did not finish within {StartTimeout.TotalSeconds} s.");
            }
            return (process.ExitCode, await output + await error);
        }
    }

    private string Logs() =>
        string.Join('\n', _ports.Select(p => Path.Combine(_directory ?? "", $"redis-{p}.log")).Where(File.Exists)
            .Select(f => $"--- {Path.GetFileName(f)}\n" + string.Join('\n', File.ReadLines(f).TakeLast(20))));
}

[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisCluster>
{
    public const string Name = "redis-cluster";
}
