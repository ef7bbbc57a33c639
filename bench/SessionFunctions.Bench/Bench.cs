using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace SessionFunctions.Bench;

/// <summary>One server's share of a workload: what wrk sends to it.</summary>
/// <param name="Server">The service measured.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path.</param>
/// <param name="Body">The body, if any; <c>{n}</c> becomes a per-request counter, <c>{i}</c> the session's index.</param>
/// <param name="WithCookies">Send a session's cookies.</param>
/// <param name="ContentType">The body's media type.</param>
/// <param name="Sessions">Which set of sessions the cookies come from (<see cref="Bench.SessionSets"/>).</param>
/// <param name="IfMatch">Send each session's current ETag as <c>If-Match</c>, learning the next one from each answer.</param>
/// <param name="CountStatuses">Count the answers by status, so that 409s are reported apart from other failures.</param>
public sealed record Target(string Server, string Method, string Path, string? Body = null, bool WithCookies = true,
    string ContentType = "application/json", string Sessions = "small", bool IfMatch = false, bool CountStatuses = false);

/// <summary>A workload: what wrk sends to each of the four servers, measured one after another.</summary>
public sealed record Workload(string Name, string Description, Target Ours, Target Koa, Target Peer, Target Limit)
{
    public IEnumerable<Target> Targets => [Ours, Koa, Peer, Limit];
}

/// <summary>A measured run: wrk's numbers and the Redis commands it caused.</summary>
/// <param name="Workload">The workload's name.</param>
/// <param name="Server">The server measured.</param>
/// <param name="Round">The round; 0 is the warm-up.</param>
/// <param name="Wrk">wrk's numbers.</param>
/// <param name="RedisCommands">
/// Data commands, as Redis counts them (<c>INFO commandstats</c>): those that read or write keys, including the commands a
/// script runs inside (an <c>EVALSHA</c> of the compare-and-set counts as evalsha + get + set).
/// </param>
/// <param name="SelectCommands">
/// SELECTs, which StackExchange.Redis sends (in the same packet) before the next command after one it sends through
/// ExecuteAsync, such as our GETEX: connection housekeeping, reported apart.
/// </param>
public sealed record Measurement(string Workload, string Server, int Round, WrkResult Wrk, long RedisCommands, long SelectCommands)
{
    public double CommandsPerRequest => Wrk.Requests == 0 ? 0 : (double)RedisCommands / Wrk.Requests;

    public double SelectsPerRequest => Wrk.Requests == 0 ? 0 : (double)SelectCommands / Wrk.Requests;
}

/// <summary>Commands one server sent to Redis over some requests, by name, as a MONITOR client saw them.</summary>
/// <param name="Requests">The requests.</param>
/// <param name="ByCommand">Commands the server sent, by name (not those run inside scripts, not housekeeping).</param>
/// <param name="Selects">SELECTs it sent.</param>
/// <param name="Failed">Requests answered with other than 2xx.</param>
public sealed record CommandTally(long Requests, IReadOnlyDictionary<string, long> ByCommand, long Selects, long Failed)
{
    public double PerRequest => Requests == 0 ? 0 : (double)ByCommand.Values.Sum() / Requests;

    /// <summary>Per request, by name: "evalsha 1.00 + get 0.02 (+ select 1.00)".</summary>
    public override string ToString()
    {
        var f = System.Globalization.CultureInfo.InvariantCulture;
        if (Requests == 0) return "no requests";
        var text = ByCommand.Count == 0 ? "none" :
            string.Join(" + ", ByCommand.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => string.Create(f, $"{c.Key} {(double)c.Value / Requests:F2}")));
        if (Selects * 100 >= Requests) text += string.Create(f, $" (+ select {(double)Selects / Requests:F2})");
        if (Failed > 0) text += string.Create(f, $", {Failed} not 2xx");
        return text;
    }
}

/// <summary>Round trips of one server in one workload: its first request to each session, and the next ones.</summary>
/// <param name="Workload">The workload's name.</param>
/// <param name="Server">The server.</param>
/// <param name="First">
/// One request per session, just after another writer changed each of them: what an instance whose memory is stale
/// pays, and a cold one too (a save then needs a read or a second compare-and-set).
/// </param>
/// <param name="Warm">Two more requests per session: a warm instance.</param>
public sealed record RoundTripCount(string Workload, string Server, CommandTally First, CommandTally Warm);

/// <summary>Starts Redis and the servers, runs every workload on each server, interleaved, for several rounds.</summary>
public sealed partial class Bench : IAsyncDisposable
{
    private const string Key = "bench-signing-key";
    /// <summary>The peer's session cookie (ASP.NET Core's default name).</summary>
    private const string PeerCookie = ".AspNetCore.Session=";
    private static readonly TimeSpan SettleTime = TimeSpan.FromMilliseconds(250);

    // What our server stores for a new session's cookie object with the default options; checked at start.
    private const string CookiePrefix = """{"cookie":{"httpOnly":true,"path":"/","overwrite":true,"signed":true,"maxAge":86400000}""";
    private const string SessionJson = CookiePrefix + ""","count":{n},"name":"ada"}""";

    /// <summary>
    /// The sets of sessions: name, the length of the JSON our server stores (0: small, about 100 characters) and how many.
    /// "hot" is one small session that every connection of the hot workload saves.
    /// </summary>
    public static IReadOnlyList<(string Name, int Length, int Count)> SessionSets { get; } =
        [("small", 0, 64), ("1k", 1024, 64), ("16k", 16 * 1024, 64), ("60k", 60 * 1024, 64), ("hot", 0, 1)];

    private readonly BenchSettings _settings;
    private readonly List<Service> _services = [];
    // Ours, koa and the limit server share sessions (the same cookies and keys); the peer has its own, made through its API.
    private readonly Dictionary<string, List<(string Sid, string Cookies)>> _sessions = [];
    private readonly Dictionary<string, List<(string Sid, string Cookies)>> _peerSessions = [];
    // The peer's Data Protection key ring, for this run only.
    private readonly string _peerKeys = Path.Combine(Path.GetTempPath(), "bench-peer-keys-" + Guid.NewGuid().ToString("N"));
    private ConnectionMultiplexer? _redis;
    private int _redisPort;

    private Bench(BenchSettings settings) => _settings = settings;

    /// <summary>The fields of a session of the set <paramref name="size"/>: padded so that the stored JSON is that long.</summary>
    private static string Fields(string size, string count, string? index = null)
    {
        var length = SessionSets.Single(s => s.Name == size).Length;
        var fields = $"\"count\":{count},\"name\":\"ada\"" + (index is null ? "" : $",\"i\":{index}");
        if (length == 0) return fields;
        // {"cookie":{…},"count":0,"name":"ada","pad":"…"}: the padding makes up the rest.
        var pad = length - (CookiePrefix.Length + 1 + fields.Replace(count, "0", StringComparison.Ordinal).Length + ",\"pad\":\"\"}".Length);
        return fields + ",\"pad\":\"" + new string('x', pad) + "\"";
    }

    /// <summary>A request body of our API or Koa's: the session's fields.</summary>
    private static string Body(string size, string? index = null) => "{" + Fields(size, "{n}", index) + "}";

    /// <summary>What the limit server writes: the whole session, as our server stores it.</summary>
    private static string Stored(string size, string? index = null) => CookiePrefix + "," + Fields(size, "{n}", index) + "}";

    // The peer (bench/AspNetCoreSessionPeer): ASP.NET Core Session. It has no ETag, no conditional request and no rolling
    // option (every request slides the key's expiry), so it gets its plain read and its blind PUT where those are asked for.
    private const string PeerPath = "/peer/session";

    public static IReadOnlyList<Workload> Workloads { get; } =
    [
        new("read", "GET an existing, unchanged session",
            new("ours", "GET", "/api/session"), new("koa", "GET", "/session"), new("peer", "GET", PeerPath),
            new("limit", "GET", "/limit/read")),
        new("write", "change one field and save; the limit is a blind SETEX (as in the first benchmark)",
            new("ours", "PUT", "/api/session", """{"count":{n},"name":"ada"}"""), new("koa", "POST", "/session/increment"),
            new("peer", "PUT", PeerPath, """{"count":{n},"name":"ada"}"""),
            new("limit", "PUT", "/limit/write", SessionJson)),
        new("create", "a new session per request",
            new("ours", "POST", "/api/session", """{"count":1}""", WithCookies: false),
            new("koa", "POST", "/session/merge", """{"count":1}""", WithCookies: false),
            new("peer", "POST", PeerPath, """{"count":1}""", WithCookies: false),
            new("limit", "POST", "/limit/create", SessionJson, WithCookies: false)),
        new("rolling", "GET with rolling on (refresh the TTL, re-send the cookie; the peer's every read slides the TTL); the limit is one GETEX",
            new("ours-rolling", "GET", "/api/session"), new("koa-rolling", "GET", "/session"), new("peer", "GET", PeerPath),
            new("limit", "GET", "/limit/rolling")),
        new("patch", "change one field (ours and the peer: PATCH merge-patch; koa: POST /session/merge); the limit is one compare-and-set",
            new("ours", "PATCH", "/api/session", """{"count":{n}}""", ContentType: "application/merge-patch+json"),
            new("koa", "POST", "/session/merge", """{"count":{n}}"""),
            new("peer", "PATCH", PeerPath, """{"count":{n}}""", ContentType: "application/merge-patch+json"),
            new("limit", "PUT", "/limit/cas", SessionJson)),
        new("put-if-match", "PUT with If-Match naming the current value (koa and the peer have none: their PUT); the limit is one compare-and-set",
            new("ours", "PUT", "/api/session", Body("small", "{i}"), IfMatch: true),
            new("koa", "PUT", "/session", Body("small", "{i}"), IfMatch: true),
            new("peer", "PUT", PeerPath, Body("small", "{i}"), IfMatch: true),
            new("limit", "PUT", "/limit/cas-if-match", Stored("small", "{i}"), IfMatch: true)),
        new("write-indexed", "as write, with the user index on (Session:UserIdPath = /user): each save also refreshes the session's index entry",
            new("ours-indexed", "PUT", "/api/session", """{"count":{n},"user":"ada"}"""), new("koa", "POST", "/session/increment"),
            new("peer", "PUT", PeerPath, """{"count":{n},"name":"ada"}"""),
            new("limit", "PUT", "/limit/write", SessionJson)),
        .. SessionSets.Where(s => s.Length > 0).SelectMany(s => new Workload[]
        {
            new($"read-{s.Name}", $"GET a session of {s.Length} characters",
                new("ours", "GET", "/api/session", Sessions: s.Name), new("koa", "GET", "/session", Sessions: s.Name),
                new("peer", "GET", PeerPath, Sessions: s.Name),
                new("limit", "GET", "/limit/read", Sessions: s.Name)),
            new($"write-{s.Name}", $"PUT a session of {s.Length} characters with one field changed; the limit is one compare-and-set",
                new("ours", "PUT", "/api/session", Body(s.Name), Sessions: s.Name), new("koa", "PUT", "/session", Body(s.Name), Sessions: s.Name),
                new("peer", "PUT", PeerPath, Body(s.Name), Sessions: s.Name),
                new("limit", "PUT", "/limit/cas", Stored(s.Name), Sessions: s.Name)),
        }),
        // Every connection saves the same session, without If-Match: ours and the limit write only over the value the save
        // started from, and answer 409 after three conflicts in a row; koa and the peer write blindly (the last writer wins).
        new("hot", "16 connections save one session (PUT, no If-Match); 2xx and 409 counted apart; the limit is its compare-and-set",
            new("ours", "PUT", "/api/session", """{"count":{n},"name":"ada"}""", Sessions: "hot", CountStatuses: true),
            new("koa", "PUT", "/session", """{"count":{n},"name":"ada"}""", Sessions: "hot", CountStatuses: true),
            new("peer", "PUT", PeerPath, """{"count":{n},"name":"ada"}""", Sessions: "hot", CountStatuses: true),
            new("limit", "PUT", "/limit/cas", SessionJson, Sessions: "hot", CountStatuses: true)),
    ];

    /// <summary>The workloads this run measures (<c>--workloads</c>, else all).</summary>
    public IReadOnlyList<Workload> Selected => _settings.Workloads is { } names ? [.. Workloads.Where(w => names.Contains(w.Name))] : Workloads;

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
        _redisPort = Service.FreePort();
        _services.Add(await Service.StartAsync("redis", "redis-server",
            ["--port", $"{_redisPort}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], root, _redisPort));
        _redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_redisPort},allowAdmin=true");
        var connection = $"127.0.0.1:{_redisPort}";

        var server = Path.Combine(root, "SessionFunctions.Server", "bin", "Release", "net10.0", "SessionFunctions.Server.dll");
        var limit = Path.Combine(root, "bench", "LimitServer", "bin", "Release", "net10.0", "LimitServer.dll");
        var peer = Path.Combine(root, "bench", "AspNetCoreSessionPeer", "bin", "Release", "net10.0", "AspNetCoreSessionPeer.dll");
        var koa = Path.Combine(root, "SessionFunctions.Tests", "KoaReferenceApp");
        foreach (var file in new[] { server, limit, peer, Path.Combine(koa, "node_modules", "koa-generic-session", "package.json") })
            if (!File.Exists(file)) throw new InvalidOperationException($"{file} is missing: run bench/run.sh, which builds and installs it.");
        RedisClient = SameRedisClient(server, limit, peer);

        Dictionary<string, string> Ours(bool rolling, bool indexed)
        {
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Logging__LogLevel__Default"] = "Warning",
                ["Session__Keys__0"] = Key,
                ["Redis__ConnectionString"] = connection,
                ["Session__Rolling"] = rolling ? "true" : "false",
            };
            if (indexed)
            {
                environment["Session__UserIdPath"] = "/user";
                // wrk's sessions write their own user id, as no verified login can in a load test: the index's cost is
                // what is measured, not who may write the id.
                environment["Session__DangerouslyTrustClientsWithUserId"] = "true";
            }
            return environment;
        }
        Dictionary<string, string> Koa(bool rolling) => new()
        {
            ["REDIS_PORT"] = $"{_redisPort}",
            ["KEYS"] = JsonSerializer.Serialize(new[] { Key }),
            ["SESSION_OPTIONS"] = rolling ? """{"rolling":true}""" : "{}",
        };
        foreach (var (name, rolling, indexed) in new[] { ("ours", false, false), ("ours-rolling", true, false), ("ours-indexed", false, true) })
        {
            var port = Service.FreePort();
            _services.Add(await Service.StartAsync(name, "dotnet", [server, "--urls", $"http://127.0.0.1:{port}"], root, port, Ours(rolling, indexed)));
        }
        foreach (var (name, rolling) in new[] { ("koa", false), ("koa-rolling", true) })
        {
            var port = Service.FreePort();
            _services.Add(await Service.StartAsync(name, "node", ["server.js"], koa, port, new Dictionary<string, string>(Koa(rolling)) { ["PORT"] = $"{port}" }));
        }
        var peerPort = Service.FreePort();
        _services.Add(await Service.StartAsync("peer", "dotnet", [peer, "--urls", $"http://127.0.0.1:{peerPort}"], root, peerPort,
            new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Logging__LogLevel__Default"] = "Warning",
                ["Redis__ConnectionString"] = connection,
                ["DataProtection__KeysDirectory"] = _peerKeys,
            }));
        var limitPort = Service.FreePort();
        _services.Add(await Service.StartAsync("limit", "dotnet", [limit, "--urls", $"http://127.0.0.1:{limitPort}"], root, limitPort,
            new Dictionary<string, string> { ["Redis__ConnectionString"] = connection }));
    }

    /// <summary>The StackExchange.Redis every .NET server of this run uses, e.g. "StackExchange.Redis 3.4.35"; set at start.</summary>
    public string RedisClient { get; private set; } = "";

    /// <summary>
    /// The StackExchange.Redis next to each .NET server's build, which must be the one this harness was built with (the
    /// version Directory.Packages.props pins): the servers differ in what they do, not in their Redis client.
    /// </summary>
    private static string SameRedisClient(params string[] servers)
    {
        static string Version(string assembly) =>
            (FileVersionInfo.GetVersionInfo(assembly).ProductVersion ?? "?").Split('+')[0];
        var expected = Version(typeof(ConnectionMultiplexer).Assembly.Location);
        foreach (var server in servers)
        {
            var version = Version(Path.Combine(Path.GetDirectoryName(server)!, "StackExchange.Redis.dll"));
            if (version != expected)
                throw new InvalidOperationException($"{Path.GetFileName(server)} runs StackExchange.Redis {version}, not {expected} (Directory.Packages.props).");
        }
        return "StackExchange.Redis " + expected;
    }

    /// <summary>
    /// Sessions created by our server, as many as each set has; Koa and the limit server use the very same cookies and keys.
    /// The peer's, the same fields, are created through its own API: its cookie and its store are its own.
    /// </summary>
    private async Task CreateSessionsAsync()
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(Find("ours").Url) };
        var database = _redis!.GetDatabase();
        foreach (var (set, length, count) in SessionSets)
        {
            var sessions = new List<(string, string)>();
            var body = "{" + Fields(set, "0") + "}";
            for (var i = 0; i < count; i++)
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await http.PostAsync("/api/session", content);
                response.EnsureSuccessStatusCode();
                var pairs = response.Headers.GetValues("Set-Cookie").Select(h => h.Split(';')[0]).ToList();
                var sid = pairs.Single(p => p.StartsWith("koa.sid=", StringComparison.Ordinal))["koa.sid=".Length..];
                sessions.Add((sid, string.Join("; ", pairs)));
            }
            // The limit server writes what our server would store: check that the shapes agree.
            var stored = (string?)await database.StringGetAsync("koa:sess:" + sessions[0].Item1) ?? "";
            var expected = CookiePrefix + "," + Fields(set, "0") + "}";
            if (stored != expected)
                throw new InvalidOperationException($"Our server stored {Shorten(stored)}, not {Shorten(expected)}: update Bench.CookiePrefix.");
            if (length > 0 && stored.Length != length) throw new InvalidOperationException($"A {set} session is {stored.Length} characters, not {length}.");
            _sessions[set] = sessions;
            _peerSessions[set] = await CreatePeerSessionsAsync(body, count);
        }
    }

    /// <summary>
    /// <paramref name="count"/> sessions of the peer holding the fields of <paramref name="body"/>, each checked by reading
    /// it back. There is no sid to know: the peer's cookie is data-protected, and nothing here reads its keys in Redis.
    /// </summary>
    private async Task<List<(string Sid, string Cookies)>> CreatePeerSessionsAsync(string body, int count)
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(Find("peer").Url) };
        var sessions = new List<(string, string)>();
        for (var i = 0; i < count; i++)
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(PeerPath, content);
            response.EnsureSuccessStatusCode();
            var cookie = response.Headers.GetValues("Set-Cookie").Select(h => h.Split(';')[0]).Single(p => p.StartsWith(PeerCookie, StringComparison.Ordinal));
            using var read = new HttpRequestMessage(HttpMethod.Get, PeerPath);
            read.Headers.Add("Cookie", cookie);
            using var answer = await http.SendAsync(read);
            var text = await answer.Content.ReadAsStringAsync();
            if (!answer.IsSuccessStatusCode || text != body)
                throw new InvalidOperationException($"The peer answered {(int)answer.StatusCode} {Shorten(text)} for a session of {Shorten(body)}.");
            sessions.Add(("", cookie));
        }
        return sessions;
    }

    /// <summary>The sessions of a target's set: the peer's own, or those ours, koa and the limit server share.</summary>
    private List<(string Sid, string Cookies)> SessionsOf(Target target) => (target.Server == "peer" ? _peerSessions : _sessions)[target.Sessions];

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    public async Task<List<Measurement>> RunAsync()
    {
        var measurements = new List<Measurement>();
        foreach (var workload in Selected)
            foreach (var target in workload.Targets)
                await MeasureAsync(workload, target, 0, _settings.WarmUpSeconds); // JIT tiering, connection pools, V8

        for (var round = 1; round <= _settings.Rounds; round++)
        {
            foreach (var workload in Selected)
            {
                if (round > RoundsOf(workload)) continue;
                foreach (var target in workload.Targets)
                {
                    var measurement = await MeasureAsync(workload, target, round, _settings.DurationSeconds);
                    var conflicts = measurement.Wrk.ConflictsPerSecond is { } c ? $"  409/s {c:F0}" : "";
                    Console.Error.WriteLine($"round {round} {workload.Name,-13} {target.Server,-13} {measurement.Wrk.RequestsPerSecond,10:F0} req/s  2xx/s {measurement.Wrk.SuccessPerSecond,7:F0}{conflicts}  p99 {measurement.Wrk.P99Ms,7:F2} ms  {measurement.CommandsPerRequest:F2} cmd/req (+{measurement.SelectsPerRequest:F2} SELECT)  errors {measurement.Wrk.Errors} ({measurement.Wrk.NonSuccess} not 2xx)");
                    measurements.Add(measurement);
                }
            }
        }
        return measurements;
    }

    /// <summary>The rounds a workload gets: the size variants may get fewer (<c>--size-rounds</c>) to bound the run.</summary>
    public int RoundsOf(Workload workload) =>
        SessionSets.Single(s => s.Name == workload.Ours.Sessions).Length == 0
            ? _settings.Rounds
            : Math.Min(_settings.Rounds, _settings.SizeRounds ?? _settings.Rounds);

    /// <summary>
    /// Round trips per request: after the rounds, each server gets each workload's requests once more, one at a time
    /// from this process, while a MONITOR client sees every command Redis executes and whether a client sent it or a
    /// script ran it. One request per session first, just after another writer changed them (stale memory, as good as cold),
    /// then two more per session (warm). One at a time, no two requests race for a session, so these are the counts of
    /// the design; the rounds' commandstats show the counts under load, conflicts included.
    /// </summary>
    public async Task<List<RoundTripCount>> CountRoundTripsAsync()
    {
        var counts = new List<RoundTripCount>();
        foreach (var workload in Selected)
        {
            foreach (var target in workload.Targets)
            {
                // The peer keeps nothing between requests (it loads the session every time): its first request is a warm one.
                if (target.Server != "peer") await WriteElsewhereAsync(target.Sessions);
                var first = await CountAsync(target, perSession: 1);
                var warm = await CountAsync(target, perSession: 2);
                Console.Error.WriteLine($"count {workload.Name,-12} {target.Server,-13} first {first}; warm {warm}");
                counts.Add(new RoundTripCount(workload.Name, target.Server, first, warm));
            }
        }
        return counts;
    }

    /// <summary>
    /// Changes every session of a set as another writer (Koa, another instance) would: a new count, written straight to
    /// Redis. What a server remembers of them is then stale, as it would be after a restart or behind a load balancer.
    /// </summary>
    private async Task WriteElsewhereAsync(string set)
    {
        var database = _redis!.GetDatabase();
        foreach (var (sid, _) in _sessions[set])
        {
            var key = "koa:sess:" + sid;
            var stored = (string?)await database.StringGetAsync(key) ?? throw new InvalidOperationException($"Session {sid} is gone.");
            var count = Interlocked.Increment(ref _counter).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var changed = CountField().Replace(stored, "\"count\":" + count, 1);
            await database.StringSetAsync(key, changed, TimeSpan.FromDays(1));
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("\"count\":[0-9]+")]
    private static partial System.Text.RegularExpressions.Regex CountField();

    /// <summary><paramref name="perSession"/> requests to each session of the target's set, one at a time, counted by a MONITOR client.</summary>
    private async Task<CommandTally> CountAsync(Target target, int perSession)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri(Find(target.Server).Url) };
        var sessions = SessionsOf(target);
        var etags = target.IfMatch ? await ETagsAsync(target, sessions) : null;
        var failed = 0L;
        var counter = Interlocked.Add(ref _counter, 10_000_000);
        await using var monitor = await RedisMonitor.StartAsync(_redisPort);
        for (var round = 0; round < perSession; round++)
        {
            for (var i = 0; i < sessions.Count; i++)
            {
                using var request = new HttpRequestMessage(new HttpMethod(target.Method), target.Path);
                if (target.WithCookies) request.Headers.Add("Cookie", sessions[i].Cookies);
                if (etags is not null) request.Headers.TryAddWithoutValidation("If-Match", etags[i]);
                if (target.Body is not null)
                {
                    var n = (++counter).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    var body = target.Body.Replace("{n}", n, StringComparison.Ordinal).Replace("{i}", $"{i}", StringComparison.Ordinal);
                    request.Content = new StringContent(body, Encoding.UTF8);
                    request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(target.ContentType);
                }
                using var response = await http.SendAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode) failed++;
                if (etags is not null && response.Headers.ETag is { } etag) etags[i] = etag.ToString();
            }
        }
        var (byCommand, selects) = await monitor.StopAsync(_redisPort);
        return new CommandTally(perSession * (long)sessions.Count, byCommand, selects, failed);
    }

    // Where the next run's {n} starts: every run, wrk's or the counting pass's, gets a range of its own.
    private long _counter;

    /// <summary>Writes and reads against this service for the soak period, sampling its resident memory every 5 s.</summary>
    public async Task<List<(int Second, double RssMiB)>> SoakAsync()
    {
        var ours = Find("ours");
        var samples = new List<(int, double)> { (0, ours.RssMiB()) };
        var write = Workloads.Single(w => w.Name == "write").Ours;
        var load = RunWrkAsync(write, _settings.SoakSeconds);
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
        // A slow server (Koa) may still be answering the last run's requests wrk gave up on when it stopped: let it finish.
        await Task.Delay(SettleTime);
        var before = await CommandCountAsync();
        var wrk = await RunWrkAsync(target, seconds);
        var after = await CommandCountAsync();
        return new Measurement(workload.Name, target.Server, round, wrk, after.Data - before.Data, after.Select - before.Select);
    }

    private async Task<WrkResult> RunWrkAsync(Target target, int seconds) =>
        await Wrk.RunAsync(_settings.Root, Find(target.Server).Url, _settings.Connections, seconds, await EnvironmentAsync(target));

    private async Task<Dictionary<string, string>> EnvironmentAsync(Target target)
    {
        var sessions = SessionsOf(target);
        var environment = new Dictionary<string, string>
        {
            ["METHOD"] = target.Method,
            ["URL_PATH"] = target.Path,
            ["COOKIES"] = string.Join("|", sessions.Select(s => s.Cookies)),
            ["CONTENT_TYPE"] = target.ContentType,
            // Each run counts {n} from its own start, so no run writes the very text another server wrote before it.
            ["COUNTER_START"] = Interlocked.Add(ref _counter, 10_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (target.Body is not null) environment["BODY"] = target.Body;
        if (!target.WithCookies) environment["NO_COOKIES"] = "1";
        if (target.IfMatch) environment["ETAGS"] = string.Join("|", await ETagsAsync(target, sessions));
        if (target.CountStatuses) environment["COUNT_STATUS"] = "1";
        return environment;
    }

    /// <summary>
    /// The If-Match of each session: our ETags; the peer has none, and ignores what it is sent, as koa does, but wrk still
    /// needs one per session to keep every session to one request at a time.
    /// </summary>
    private async Task<List<string>> ETagsAsync(Target target, List<(string Sid, string Cookies)> sessions) =>
        target.Server == "peer" ? [.. sessions.Select(_ => "\"peer-has-no-etag\"")] : await CurrentETagsAsync(sessions);

    /// <summary>Each session's ETag now, as our server would send it: the SHA-1 of the stored text, quoted.</summary>
    private async Task<List<string>> CurrentETagsAsync(List<(string Sid, string Cookies)> sessions)
    {
        var database = _redis!.GetDatabase();
        var etags = new List<string>();
        foreach (var (sid, _) in sessions)
        {
            var stored = (string?)await database.StringGetAsync("koa:sess:" + sid) ?? "";
            etags.Add("\"" + Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(stored))) + "\"");
        }
        return etags;
    }

    /// <summary>
    /// Commands so far (INFO commandstats): data commands, leaving out the benchmark's own INFO and the clients' pings
    /// and handshakes, and SELECTs apart. Redis counts the commands a script runs too.
    /// </summary>
    private async Task<(long Data, long Select)> CommandCountAsync()
    {
        var server = _redis!.GetServer(_redis.GetEndPoints()[0]);
        var info = await server.InfoAsync("commandstats");
        var calls = info.SelectMany(g => g).Select(p => (
            Name: p.Key["cmdstat_".Length..].Split('|')[0],
            Calls: long.Parse(p.Value.Split(',')[0].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture))).ToList();
        return (calls.Where(c => !RedisMonitor.Housekeeping.Contains(c.Name)).Sum(c => c.Calls), calls.Where(c => c.Name == "select").Sum(c => c.Calls));
    }

    private Service Find(string name) => _services.Single(s => s.Name == name);

    public async ValueTask DisposeAsync()
    {
        _redis?.Dispose();
        foreach (var service in Enumerable.Reverse(_services)) await service.DisposeAsync();
        if (Directory.Exists(_peerKeys)) Directory.Delete(_peerKeys, recursive: true);
    }
}
