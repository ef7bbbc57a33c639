using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SessionFunctions.Http;
using SessionFunctions.Redis;
using SessionFunctions.Tests.Infrastructure;
using StackExchange.Redis;

namespace SessionFunctions.Tests;

/// <summary>
/// Microsoft Entra ID authentication against a real redis-server whose ACL user is the identity's object id and whose
/// only password is the newest token, as Azure has it: the token is replaced before it expires, live connections are
/// re-authenticated, connections that Azure drops come back with the current token, and no request fails meanwhile.
/// </summary>
public sealed class RedisEntraIdTests
{
    // Short enough for several rotations per test: each token is replaced after half its lifetime (RedisEntraIdToken.From).
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Entra ID and Redis in one: each token it issues is a JWT for <see cref="ObjectId"/>, and becomes the ACL user's
    /// only password before the app sees it (Azure accepts a token from the moment it is issued).
    /// </summary>
    private sealed class RotatingCredential(RedisServer redis) : TokenCredential
    {
        private int _issued;

        public string ObjectId { get; } = Guid.NewGuid().ToString();

        public ConcurrentQueue<string> Tokens { get; } = new();

        public ConcurrentQueue<string> Scopes { get; } = new();

        public int Issued => Volatile.Read(ref _issued);

        /// <summary>When set, every request for a token throws it, as a managed identity endpoint that is down would.</summary>
        public Exception? Failure { get; set; }

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            foreach (var scope in requestContext.Scopes) Scopes.Enqueue(scope);
            if (Failure is { } failure) throw failure;
            var expiresOn = DateTimeOffset.UtcNow + TokenLifetime;
            var token = Jwt(ObjectId, expiresOn);
            // &*: Azure's data access policies allow pub/sub; without it this server would refuse a subscription connection's
            // SUBSCRIBE and leave a connection that the test could not tell from an interactive one.
            await redis.Database.ExecuteAsync("ACL", "SETUSER", ObjectId, "on", "resetpass", ">" + token, "~*", "&*", "+@all");
            Tokens.Enqueue(token);
            Interlocked.Increment(ref _issued);
            return new AccessToken(token, expiresOn);
        }
    }

    private const string IdentityFailure = "ManagedIdentityCredential authentication failed: the identity endpoint did not answer.";

    private sealed class UnreachableIdentityEndpointException() : Exception(IdentityFailure);

    [Fact]
    public async Task Tokens_rotate_under_load_with_live_connections_reauthenticated_and_dropped_ones_reconnecting_without_a_failed_request()
    {
        const int Rotations = 3;
        const int Clients = 4;
        await using var redis = await RedisServer.StartNewAsync();
        var credential = new RotatingCredential(redis);
        var logs = new CollectingLoggerProvider();
        using var api = EntraIdApi(redis, credential, logs, SessionApiFactory.UnderLoad);

        using var stop = new CancellationTokenSource();
        var requests = 0;
        var failures = new ConcurrentQueue<string>();
        // Sessions made, read and saved by a few clients at once while the tokens rotate; bounded by the rotations and a deadline.
        // The clients are made first, one by one: the factory starts its host on the first, and concurrent first calls would start several.
        var clients = Enumerable.Range(0, Clients).Select(_ => api.CreateSessionClient()).ToList();
        var load = clients.Select((client, worker) => Task.Run(async () =>
        {
            var count = 0;
            while (!stop.IsCancellationRequested)
            {
                var (what, response, expected) = count == 0
                    ? ("POST", await client.PostAsync(json: $$"""{"count":{{++count}}}"""), 201)
                    : count % 2 == 0
                        ? ("GET", await client.GetAsync(), 200)
                        : ("PUT", await client.PutAsync($$"""{"count":{{++count}}}"""), 200);
                if (what == "GET") count++;
                Interlocked.Increment(ref requests);
                if (response.Status != expected) failures.Enqueue($"client {worker}: {what} {response.Status} {response.Body}");
                // A steady load, not a flood: this machine is shared, and a rotation is what the test is about.
                await Task.Delay(5, CancellationToken.None);
            }
        })).ToList();

        // Connected with the first token before the first rotation is awaited.
        await WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref requests) >= Clients), "the first requests");
        var figures = new List<string> { $"at start: {(await CommandStatsAsync(redis, "auth")).Calls} AUTH, {(await CommandStatsAsync(redis, "hello")).Calls} HELLO" };
        for (var rotation = 1; rotation <= Rotations; rotation++)
        {
            var issued = credential.Issued;
            var (authBefore, _) = await CommandStatsAsync(redis, "auth");
            var (helloBefore, _) = await CommandStatsAsync(redis, "hello");
            await WaitUntilAsync(() => Task.FromResult(credential.Issued > issued), $"rotation {rotation}: a new token");
            // The refresh re-authenticates every live connection of the app, which is one interactive connection per
            // server: no subscription connection, which AUTH would not reach.
            var connections = await AppConnectionsAsync(redis, credential.ObjectId);
            var connection = Assert.Single(connections);
            Assert.True(connection["sub"] == "0" && connection["psub"] == "0" && !connection["flags"].Contains('P', StringComparison.Ordinal), string.Join(' ', connection));
            await WaitUntilAsync(async () => (await CommandStatsAsync(redis, "auth")).Calls - authBefore >= connections.Count, $"rotation {rotation}: AUTH on each live connection");
            var (authAfter, _) = await CommandStatsAsync(redis, "auth");

            // Azure drops a connection whose token expired: the client's own reconnect must use the current token.
            var killed = (long)await redis.Database.ExecuteAsync("CLIENT", "KILL", "USER", credential.ObjectId);
            Assert.True(killed >= 1, $"rotation {rotation}: no connection of {credential.ObjectId} to kill");
            var requestsAtKill = Volatile.Read(ref requests);
            await WaitUntilAsync(async () => (await AppConnectionsAsync(redis, credential.ObjectId)).Count > 0, $"rotation {rotation}: the reconnect");
            await WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref requests) >= requestsAtKill + Clients), $"rotation {rotation}: requests after the reconnect");
            // A new handshake, as the user (AppConnectionsAsync) and with no failed AUTH or HELLO (checked at the end).
            var (helloAfter, _) = await CommandStatsAsync(redis, "hello");
            var (authReconnected, _) = await CommandStatsAsync(redis, "auth");
            Assert.True(helloAfter > helloBefore, $"rotation {rotation}: no handshake after the kill");
            figures.Add($"rotation {rotation}: {authAfter - authBefore} AUTH for {connections.Count} live connection(s), {killed} killed, "
                        + $"reconnect with {authReconnected - authAfter} AUTH and {helloAfter - helloBefore} HELLO");
        }
        await stop.CancelAsync();
        await Task.WhenAll(load);
        clients.ForEach(client => client.Dispose());

        var (auths, failedAuths) = await CommandStatsAsync(redis, "auth");
        var (_, failedHellos) = await CommandStatsAsync(redis, "hello");
        var reauthentications = logs.Entries.Where(e => e.Event.Name == "RedisEntraIdReauthenticated").Select(e => e.Message).ToList();
        var summary = $"{credential.Issued} tokens, {reauthentications.Count} re-authentications, {requests} requests, {failures.Count} failed, {auths} AUTH ({failedAuths} failed), {failedHellos} failed HELLO; "
                      + string.Join("; ", figures);
        Console.WriteLine(summary);
        Assert.True(failures.IsEmpty, summary + "\n" + string.Join('\n', failures.Take(10)));
        Assert.True(credential.Issued > Rotations, summary);
        Assert.True(requests >= Rotations * Clients * 2, summary);
        Assert.Equal(0, failedAuths);
        Assert.Equal(0, failedHellos);
        Assert.All(credential.Scopes, scope => Assert.Equal("https://redis.azure.com/.default", scope));
        Assert.Contains(logs.Entries, e => e.Event.Name == "RedisEntraIdReauthenticated");
        await AssertNoTokenAppearsAsync(api, credential, logs);
    }

    [Fact]
    public async Task A_credential_that_throws_at_connect_gives_503_with_retry_after_and_the_app_recovers_once_it_works()
    {
        await using var redis = await RedisServer.StartNewAsync();
        var credential = new RotatingCredential(redis) { Failure = new UnreachableIdentityEndpointException() };
        var logs = new CollectingLoggerProvider();
        using var api = EntraIdApi(redis, credential, logs, ("Session:ReconnectTimeout", "300"));
        using var client = api.CreateSessionClient();

        var down = await client.PostAsync(json: """{"a":1}""");

        Assert.Equal(503, down.Status);
        Assert.Equal(SessionProblem.StoreUnavailable.Type, down.ProblemType);
        Assert.NotNull(down.Headers.RetryAfter);
        Assert.Empty(down.SetCookies);
        Assert.Equal(0, credential.Issued);
        Assert.DoesNotContain(IdentityFailure, down.Body, StringComparison.Ordinal);

        credential.Failure = null;
        var deadline = DateTime.UtcNow + Deadline;
        int status;
        do status = (await client.PostAsync(json: """{"a":1}""")).Status;
        while (status == 503 && DateTime.UtcNow < deadline);
        Assert.Equal(201, status);
        Assert.Equal(200, (await client.GetAsync()).Status);
        Assert.True(credential.Issued >= 1);
        await AssertNoTokenAppearsAsync(api, credential, logs);
    }

    [Fact]
    public async Task A_failed_refresh_keeps_the_current_token_warns_without_it_and_is_retried_at_the_next_check()
    {
        await using var redis = await RedisServer.StartNewAsync();
        var credential = new RotatingCredential(redis);
        var logs = new CollectingLoggerProvider();
        using var api = EntraIdApi(redis, credential, logs, SessionApiFactory.UnderLoad);
        using var client = api.CreateSessionClient();
        Assert.Equal(201, (await client.PostAsync(json: """{"count":1}""")).Status);
        var first = credential.Tokens.Single();

        credential.Failure = new UnreachableIdentityEndpointException();
        await WaitUntilAsync(() => Task.FromResult(logs.Entries.Count(IsRefreshFailure) >= 2), "two failed refreshes, one per check");
        // The current token still authenticates the live connection: requests carry on, and nothing new was issued.
        Assert.Equal(200, (await client.GetAsync()).Status);
        Assert.Equal(200, (await client.PutAsync("""{"count":2}""")).Status);
        Assert.Equal(1, credential.Issued);
        var warning = logs.Entries.First(IsRefreshFailure);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(credential.ObjectId, warning.Message, StringComparison.Ordinal);

        var (authBefore, _) = await CommandStatsAsync(redis, "auth");
        credential.Failure = null;
        await WaitUntilAsync(() => Task.FromResult(credential.Issued > 1), "the refresh, retried once the credential works");
        await WaitUntilAsync(async () => (await CommandStatsAsync(redis, "auth")).Calls > authBefore, "AUTH with the new token");
        Assert.NotEqual(first, credential.Tokens.Last());
        Assert.Equal(2, (await client.GetAsync()).Json["count"]!.GetValue<int>());
        Assert.Equal(0, (await CommandStatsAsync(redis, "auth")).Failed);
        await AssertNoTokenAppearsAsync(api, credential, logs);

        static bool IsRefreshFailure(CollectingLoggerProvider.LogEntry entry) => entry.Event.Name == "RedisEntraIdTokenRefreshFailed";
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b")]
    [InlineData("eyJhbGciOiJub25lIn0.!!!.c2ln")]
    [InlineData("eyJhbGciOiJub25lIn0.bm90IGpzb24.c2ln")] // payload "not json"
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln")] // {"sub":"x"}: no oid
    [InlineData("eyJhbGciOiJub25lIn0.eyJvaWQiOjF9.c2ln")] // {"oid":1}: not a string
    public void A_token_that_is_not_a_jwt_with_an_oid_fails_with_a_message_that_does_not_contain_it(string token)
    {
        var error = Assert.Throws<InvalidOperationException>(() => RedisEntraIdToken.ObjectIdOf(token));

        Assert.Contains("https://redis.azure.com/.default", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token, error.Message, StringComparison.Ordinal);
        Assert.All(token.Split('.').Where(part => part.Length > 3), part => Assert.DoesNotContain(part, error.Message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(24 * 60, 18 * 60)] // a quarter of the lifetime before expiry
    [InlineData(60, 45)]
    [InlineData(12, 7)] // RefreshMargin (5 min) before expiry, being earlier
    [InlineData(6, 3)] // never before half the lifetime
    public void A_token_is_replaced_at_three_quarters_of_its_lifetime_or_the_margin_before_expiry_whichever_is_earlier(int lifetimeMinutes, int refreshAfterMinutes)
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var expiresOn = now.AddMinutes(lifetimeMinutes);

        var token = RedisEntraIdToken.From(new AccessToken(Jwt("oid-1", expiresOn), expiresOn), now);

        Assert.Equal(now.AddMinutes(refreshAfterMinutes), token.RefreshAt);
        Assert.Equal("oid-1", token.User);
        Assert.DoesNotContain(token.Value, token.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_credential_that_says_when_to_refresh_is_refreshed_then()
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var expiresOn = now.AddHours(24);

        var token = RedisEntraIdToken.From(new AccessToken(Jwt("oid-1", expiresOn), expiresOn, refreshOn: now.AddHours(12)), now);

        Assert.Equal(now.AddHours(12), token.RefreshAt);
    }

    [Fact]
    public async Task The_connection_options_string_never_contains_the_token()
    {
        await using var redis = await RedisServer.StartNewAsync();
        var credential = new RotatingCredential(redis);
        using var tokens = new RedisEntraIdTokenSource(credential, TimeProvider.System, CheckInterval, NullLogger<RedisEntraIdTokenSource>.Instance);
        using var defaults = new RedisEntraIdOptionsProvider(
            StackExchange.Redis.Configuration.DefaultOptionsProvider.GetProvider(ConfigurationOptions.Parse(redis.ConnectionString).EndPoints),
            tokens, NullLogger<RedisEntraIdOptionsProvider>.Instance);
        var token = await tokens.GetAsync(default);
        var options = ConfigurationOptions.Parse(redis.ConnectionString);
        options.Defaults = defaults;

        // The provider is what the client authenticates with...
        Assert.Equal(token.Value, options.Password);
        Assert.Equal(credential.ObjectId, options.User);
        Assert.True(options.Ssl, "TLS unless the caller turns it off");
        // ...and what it prints is the explicitly set options only.
        Assert.DoesNotContain(token.Value, options.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(token.Value, options.ToString(includePassword: true), StringComparison.Ordinal);
        Assert.DoesNotContain(token.Value, options.Clone().ToString(), StringComparison.Ordinal);
    }

    private static SessionApiFactory EntraIdApi(RedisServer redis, RotatingCredential credential, CollectingLoggerProvider logs, params (string Key, string? Value)[] settings) =>
        SessionApiFactory.WithMemory(services =>
        {
            services.AddSingleton<ILoggerProvider>(logs);
            services.AddRedisSessionStore(redis.ConnectionString, credential, (provider, options) =>
            {
                // Plain TCP on loopback; in Azure the registration's TLS stays on.
                options.Ssl = false;
                options.LoggerFactory = provider.GetService<ILoggerFactory>();
            }, CheckInterval);
        }, settings);

    /// <summary>Neither a log line (ours or the Redis client's) nor the client's configuration or status shows any token issued.</summary>
    private static async Task AssertNoTokenAppearsAsync(SessionApiFactory api, RotatingCredential credential, CollectingLoggerProvider logs)
    {
        Assert.NotEmpty(credential.Tokens);
        Assert.NotEmpty(logs.Entries);
        var multiplexer = (await api.Services.GetRequiredService<RedisConnection>().GetDatabaseAsync()).Multiplexer;
        var shown = logs.Entries.Select(e => e.Message).Append(multiplexer.Configuration).Append(multiplexer.GetStatus()).ToList();
        foreach (var token in credential.Tokens)
        {
            var signature = token.Split('.')[2];
            Assert.All(shown, text => Assert.DoesNotContain(signature, text, StringComparison.Ordinal));
        }
    }

    /// <summary>The app's connections in <c>CLIENT LIST</c>: those of the ACL user, each as its field=value pairs.</summary>
    private static async Task<List<Dictionary<string, string>>> AppConnectionsAsync(RedisServer redis, string user)
    {
        var list = (string)(await redis.Database.ExecuteAsync("CLIENT", "LIST"))!;
        return list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ').Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : "", StringComparer.Ordinal))
            .Where(client => client.GetValueOrDefault("user") == user)
            .ToList();
    }

    /// <summary>A command's calls and failed calls so far (<c>INFO commandstats</c>), e.g. for AUTH or HELLO.</summary>
    private static async Task<(long Calls, long Failed)> CommandStatsAsync(RedisServer redis, string command)
    {
        var info = (string)(await redis.Database.ExecuteAsync("INFO", "commandstats"))!;
        var line = info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith($"cmdstat_{command}:", StringComparison.Ordinal));
        if (line is null) return (0, 0);
        var fields = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(',').Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1]);
        return (long.Parse(fields["calls"], CultureInfo.InvariantCulture), long.Parse(fields.GetValueOrDefault("failed_calls", "0"), CultureInfo.InvariantCulture));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {Deadline.TotalSeconds} s waiting for {what}.");
            await Task.Delay(20);
        }
    }

    /// <summary>A JWT-shaped token (header.payload.signature, base64url) with <c>oid</c> and <c>exp</c>, unsigned: Redis only compares it.</summary>
    private static string Jwt(string objectId, DateTimeOffset expiresOn)
    {
        static string Part(object value) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(value));
        return string.Join('.',
            Part(new { alg = "RS256", typ = "JWT" }),
            Part(new { oid = objectId, exp = expiresOn.ToUnixTimeSeconds(), jti = Guid.NewGuid() }),
            Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)));
    }
}
