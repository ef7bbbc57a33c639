using System.Net.Http.Json;
using System.Text.Json;
using StackExchange.Redis;

namespace SessionFunctions.Bench;

/// <summary>One server's share of a workload: what wrk sends to it.</summary>
public sealed record Target(string Server, string Method, string Path, string? Body = null, bool WithCookies = true);

public sealed record Workload(string Name, string Description, Target Ours, Target Koa, Target Limit)
{
    public IEnumerable<Target> Targets => [Ours, Koa, Limit];
}

/// <summary>A measured run: wrk's numbers and the Redis commands it caused.</summary>
/// <param name="Workload">The workload's name.</param>
/// <param name="Server">The server measured.</param>
/// <param name="Round">The round; 0 is the warm-up.</param>
/// <param name="Wrk">wrk's numbers.</param>
/// <param name="RedisCommands">Data commands: those that read or write keys.</param>
/// <param name="SelectCommands">
/// SELECTs, which StackExchange.Redis sends (in the same packet) before the next command after one it sends through
/// ExecuteAsync, such as our SET … XX GET: connection housekeeping, reported apart.
/// </param>
public sealed record Measurement(string Workload, string Server, int Round, WrkResult Wrk, long RedisCommands, long SelectCommands)
{
    public double CommandsPerRequest => Wrk.Requests == 0 ? 0 : (double)RedisCommands / Wrk.Requests;

    public double SelectsPerRequest => Wrk.Requests == 0 ? 0 : (double)SelectCommands / Wrk.Requests;
}

/// <summary>Starts Redis and the servers, runs every workload on each server, interleaved, for several rounds.</summary>
public sealed class Bench : IAsyncDisposable
{
    private const string Key = "bench-signing-key";
    private const int SessionCount = 64;

    // The .NET servers reach steady state (tier-1 code) only after a few seconds of load; 1 s left the first round cold.
    private const int WarmUpSeconds = 5;
    private const string SessionJson = """{"cookie":{"httpOnly":true,"path":"/","overwrite":true,"signed":true,"maxAge":86400000},"count":{n},"user":"ada"}""";

    private readonly BenchSettings _settings;
    private readonly List<Service> _services = [];
    private ConnectionMultiplexer? _redis;
    private string _cookies = "";

    private Bench(BenchSettings settings) => _settings = settings;

    public static IReadOnlyList<Workload> Workloads { get; } =
    [
        new("read", "GET an existing, unchanged session",
            new("ours", "GET", "/api/session"), new("koa", "GET", "/session"), new("limit", "GET", "/limit/read")),
        new("write", "change one field and save",
            new("ours", "PUT", "/api/session", """{"count":{n},"user":"ada"}"""), new("koa", "POST", "/session/increment"),
            new("limit", "PUT", "/limit/write", SessionJson)),
        new("create", "a new session per request",
            new("ours", "POST", "/api/session", """{"count":1}""", WithCookies: false), new("koa", "POST", "/session/merge", """{"count":1}""", WithCookies: false),
            new("limit", "POST", "/limit/create", SessionJson, WithCookies: false)),
        new("rolling", "GET with rolling on (re-save, re-send the cookie)",
            new("ours-rolling", "GET", "/api/session"), new("koa-rolling", "GET", "/session"), new("limit", "GET", "/limit/rolling")),
    ];

    public static async Task<Bench> StartAsync(BenchSettings settings)
    {
        var bench = new Bench(settings);
        try
        {
            await bench.StartServicesAsync();
            await bench.CreateSessionsAsync();
        }
        catch
        {
            await bench.DisposeAsync();
            throw;
        }
        return bench;
    }

    private async Task StartServicesAsync()
    {
        var root = _settings.Root;
        var redisPort = Service.FreePort();
        _services.Add(await Service.StartAsync("redis", "redis-server",
            ["--port", $"{redisPort}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], root, redisPort));
        _redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redisPort},allowAdmin=true");
        var connection = $"127.0.0.1:{redisPort}";

        var server = Path.Combine(root, "SessionFunctions.Server", "bin", "Release", "net10.0", "SessionFunctions.Server.dll");
        var limit = Path.Combine(root, "bench", "LimitServer", "bin", "Release", "net10.0", "LimitServer.dll");
        var koa = Path.Combine(root, "SessionFunctions.Tests", "KoaReferenceApp");
        foreach (var file in new[] { server, limit, Path.Combine(koa, "node_modules", "koa-generic-session", "package.json") })
            if (!File.Exists(file)) throw new InvalidOperationException($"{file} is missing: run bench/run.sh, which builds and installs it.");

        Dictionary<string, string> Ours(bool rolling) => new()
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Session__Keys__0"] = Key,
            ["Redis__ConnectionString"] = connection,
            ["Session__Rolling"] = rolling ? "true" : "false",
        };
        Dictionary<string, string> Koa(bool rolling) => new()
        {
            ["REDIS_PORT"] = $"{redisPort}",
            ["KEYS"] = JsonSerializer.Serialize(new[] { Key }),
            ["SESSION_OPTIONS"] = rolling ? """{"rolling":true}""" : "{}",
        };
        foreach (var (name, rolling) in new[] { ("ours", false), ("ours-rolling", true) })
        {
            var port = Service.FreePort();
            _services.Add(await Service.StartAsync(name, "dotnet", [server, "--urls", $"http://127.0.0.1:{port}"], root, port, Ours(rolling)));
        }
        foreach (var (name, rolling) in new[] { ("koa", false), ("koa-rolling", true) })
        {
            var port = Service.FreePort();
            _services.Add(await Service.StartAsync(name, "node", ["server.js"], koa, port, new Dictionary<string, string>(Koa(rolling)) { ["PORT"] = $"{port}" }));
        }
        var limitPort = Service.FreePort();
        _services.Add(await Service.StartAsync("limit", "dotnet", [limit, "--urls", $"http://127.0.0.1:{limitPort}"], root, limitPort,
            new Dictionary<string, string> { ["Redis__ConnectionString"] = connection }));
    }

    /// <summary>Sessions created by this service; Koa and the limit server use the very same cookies and keys.</summary>
    private async Task CreateSessionsAsync()
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(Find("ours").Url) };
        var cookies = new List<string>();
        for (var i = 0; i < SessionCount; i++)
        {
            using var response = await http.PostAsJsonAsync("/api/session", new { count = 0, user = "ada" });
            response.EnsureSuccessStatusCode();
            cookies.Add(string.Join("; ", response.Headers.GetValues("Set-Cookie").Select(h => h.Split(';')[0])));
        }
        _cookies = string.Join("|", cookies);
    }

    public async Task<List<Measurement>> RunAsync()
    {
        var measurements = new List<Measurement>();
        foreach (var workload in Workloads)
            foreach (var target in workload.Targets)
                await MeasureAsync(workload, target, 0, WarmUpSeconds); // JIT tiering, connection pools, V8

        for (var round = 1; round <= _settings.Rounds; round++)
        {
            foreach (var workload in Workloads)
            {
                foreach (var target in workload.Targets)
                {
                    var measurement = await MeasureAsync(workload, target, round, _settings.DurationSeconds);
                    Console.Error.WriteLine($"round {round} {workload.Name,-8} {target.Server,-13} {measurement.Wrk.RequestsPerSecond,10:F0} req/s  p99 {measurement.Wrk.P99Ms,7:F2} ms  {measurement.CommandsPerRequest:F2} cmd/req (+{measurement.SelectsPerRequest:F2} SELECT)  errors {measurement.Wrk.Errors}");
                    measurements.Add(measurement);
                }
            }
        }
        return measurements;
    }

    /// <summary>Writes and reads against this service for the soak period, sampling its resident memory every 5 s.</summary>
    public async Task<List<(int Second, double RssMiB)>> SoakAsync()
    {
        var ours = Find("ours");
        var samples = new List<(int, double)> { (0, ours.RssMiB()) };
        var write = Workloads.Single(w => w.Name == "write").Ours;
        var load = Wrk.RunAsync(_settings.Root, ours.Url, _settings.Connections, _settings.SoakSeconds, Environment(write));
        for (var second = 5; second <= _settings.SoakSeconds; second += 5)
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            samples.Add((second, ours.RssMiB()));
        }
        await load;
        return samples;
    }

    public Dictionary<string, double> PeakRss() =>
        _services.Where(s => s.Name != "redis").ToDictionary(s => s.Name, s => s.PeakRssMiB());

    private async Task<Measurement> MeasureAsync(Workload workload, Target target, int round, int seconds)
    {
        var before = await CommandCountAsync();
        var wrk = await Wrk.RunAsync(_settings.Root, Find(target.Server).Url, _settings.Connections, seconds, Environment(target));
        var after = await CommandCountAsync();
        return new Measurement(workload.Name, target.Server, round, wrk, after.Data - before.Data, after.Select - before.Select);
    }

    private Dictionary<string, string> Environment(Target target)
    {
        var environment = new Dictionary<string, string> { ["METHOD"] = target.Method, ["URL_PATH"] = target.Path, ["COOKIES"] = _cookies };
        if (target.Body is not null) environment["BODY"] = target.Body;
        if (!target.WithCookies) environment["NO_COOKIES"] = "1";
        return environment;
    }

    /// <summary>
    /// Commands so far (INFO commandstats): data commands, leaving out the benchmark's own INFO and the clients' pings
    /// and handshakes, and SELECTs apart.
    /// </summary>
    private async Task<(long Data, long Select)> CommandCountAsync()
    {
        var server = _redis!.GetServer(_redis.GetEndPoints()[0]);
        var info = await server.InfoAsync("commandstats");
        var calls = info.SelectMany(g => g).Select(p => (
            Name: p.Key["cmdstat_".Length..].Split('|')[0],
            Calls: long.Parse(p.Value.Split(',')[0].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture))).ToList();
        return (calls.Where(c => !Housekeeping.Contains(c.Name)).Sum(c => c.Calls), calls.Where(c => c.Name == "select").Sum(c => c.Calls));
    }

    private static readonly HashSet<string> Housekeeping = ["info", "ping", "client", "echo", "select", "config", "cluster", "subscribe", "unsubscribe", "hello", "auth", "command"];

    private Service Find(string name) => _services.Single(s => s.Name == name);

    public async ValueTask DisposeAsync()
    {
        _redis?.Dispose();
        foreach (var service in Enumerable.Reverse(_services)) await service.DisposeAsync();
    }
}
