using Microsoft.Extensions.Logging.Abstractions;
using SessionFunctions.Redis;
using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;
using StackExchange.Redis;

namespace SessionFunctions.Tests;

/// <summary>
/// The Redis store's commands against a real redis-server, beyond the contract every store keeps
/// (<see cref="SessionStoreContractTests"/>): each operation is one round trip, the compare-and-set script survives
/// a server that forgot it (<c>NOSCRIPT</c> after a restart or <c>SCRIPT FLUSH</c>), and Redis itself refuses a write
/// that reaches it after its deadline (docs/write-deadlines.md).
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisSessionStoreTests(RedisServer redis) : IDisposable
{
    private readonly RedisConnection _connection = new(
        () => Task.FromResult(ConfigurationOptions.Parse($"{redis.ConnectionString},allowAdmin=true")), TimeProvider.System, NullLogger<RedisConnection>.Instance);

    public void Dispose() => _connection.Dispose();

    private static DateTimeOffset Later => DateTimeOffset.UtcNow.AddMinutes(1);

    private static string NewKey() => SessionKeys.Of("store-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_compare_and_set_is_one_evalsha_and_a_rolling_read_one_getex()
    {
        var store = new RedisSessionStore(_connection, TimeProvider.System);
        var key = NewKey();
        await store.CreateAsync(key, "{}", TimeSpan.FromMinutes(1), Later, default);
        await store.ReplaceIfAsync(key, SessionHash.Of("{}"), "{}", TimeSpan.FromMinutes(1), Later, default); // loads the script

        var replace = await redis.CountCommandsAsync(() => store.ReplaceIfAsync(key, SessionHash.Of("{}"), """{"n":1}""", TimeSpan.FromMinutes(1), Later, default));
        var touch = await redis.CountCommandsAsync(() => store.GetAndTouchAsync(key, TimeSpan.FromMinutes(2), default));

        // Redis counts the script's own TIME, GET and SET too; one command crossed the network.
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["time"] = 1, ["get"] = 1, ["set"] = 1 }, replace);
        Assert.Equal(new Dictionary<string, long> { ["getex"] = 1 }, touch);
    }

    [Fact]
    public async Task A_server_that_forgot_the_script_gets_it_again_and_the_write_happens_once()
    {
        var store = new RedisSessionStore(_connection, TimeProvider.System);
        var key = NewKey();
        await store.CreateAsync(key, """{"n":1}""", TimeSpan.FromMinutes(1), Later, default);
        await store.ReplaceIfAsync(key, SessionHash.Of("""{"n":1}"""), """{"n":2}""", TimeSpan.FromMinutes(1), Later, default);
        await redis.Database.ExecuteAsync("SCRIPT", "FLUSH");

        var write = await store.ReplaceIfAsync(key, SessionHash.Of("""{"n":2}"""), """{"n":3}""", TimeSpan.FromMinutes(1), Later, default);

        Assert.Equal(SessionStoreWrite.Done, write);
        Assert.Equal("""{"n":3}""", (string?)await redis.Database.StringGetAsync(key));
    }

    /// <summary>Every write of the store, each on its own key or user index, with the deadline given.</summary>
    private static Dictionary<string, Func<Task>> Writes(RedisSessionStore store, string prefix, DateTimeOffset deadline) =>
        Writes(store, prefix, () => deadline);

    /// <summary>Every write of the store, each with the deadline <paramref name="deadlineOf"/> gives when it is called.</summary>
    private static Dictionary<string, Func<Task>> Writes(RedisSessionStore store, string prefix, Func<DateTimeOffset> deadlineOf)
    {
        ISessionUserIndexStore index = store;
        return new()
        {
            ["create"] = () => store.CreateAsync(prefix + "new", """{"n":9}""", TimeSpan.FromMinutes(1), deadlineOf(), default),
            ["replace"] = () => store.ReplaceIfAsync(prefix + "saved", SessionHash.Of("""{"n":1}"""), """{"n":9}""", TimeSpan.FromMinutes(5), deadlineOf(), default),
            ["destroy"] = () => store.DestroyAsync(prefix + "removed", deadlineOf(), default),
            ["destroy-if"] = () => store.DestroyIfAsync(prefix + "removed-if", SessionHash.Of("""{"n":1}"""), deadlineOf(), default),
            ["index"] = () => index.IndexAsync(prefix + "user:ada", new UserIndexJoin("sid-new", new UserIndexEntry(1, 2, "phone"), TimeSpan.FromMinutes(5)), deadlineOf(), default),
            ["unindex"] = () => index.UnindexAsync(prefix + "user:ada", "sid-a", deadlineOf(), default),
            ["unindex-if"] = () => index.UnindexIfSeenAtMostAsync(prefix + "user:ada", "sid-b", long.MaxValue, deadlineOf(), default),
        };
    }

    /// <summary>The keys <c>Writes</c> would change, as they are before it runs.</summary>
    private async Task SeedAsync(string prefix)
    {
        foreach (var key in (string[])["saved", "removed", "removed-if"])
            await redis.Database.StringSetAsync(prefix + key, """{"n":1}""", TimeSpan.FromMinutes(1));
        await redis.Database.HashSetAsync(prefix + "user:ada", [new("sid-a", "1 1 laptop"), new("sid-b", "1 1 tablet")]);
        await redis.Database.KeyExpireAsync(prefix + "user:ada", TimeSpan.FromMinutes(1));
    }

    /// <summary>The seeded keys' values and TTLs (a TTL that grew was written again).</summary>
    private async Task<Dictionary<string, string>> StateAsync(string prefix)
    {
        var state = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in (string[])["new", "saved", "removed", "removed-if"])
            state[key] = $"{(string?)await redis.Database.StringGetAsync(prefix + key)} ttl {(await redis.Database.KeyTimeToLiveAsync(prefix + key))?.TotalSeconds:F0}";
        var members = await redis.Database.HashGetAllAsync(prefix + "user:ada");
        state["user:ada"] = string.Join(", ", members.Select(m => $"{m.Name}={m.Value}").Order(StringComparer.Ordinal))
                            + $" ttl {(await redis.Database.KeyTimeToLiveAsync(prefix + "user:ada"))?.TotalSeconds:F0}";
        return state;
    }

    [Fact]
    public async Task A_write_whose_deadline_has_passed_writes_nothing_and_surely_did_not_run()
    {
        var store = new RedisSessionStore(_connection, TimeProvider.System);
        var prefix = NewKey() + ":";
        await SeedAsync(prefix);
        // Load every script first, so that this also holds for EVALSHA and not only for the EVAL after a NOSCRIPT.
        foreach (var script in RedisSessionStore.Scripts) await redis.Database.ExecuteAsync("SCRIPT", "LOAD", script);
        var before = await StateAsync(prefix);

        foreach (var (name, write) in Writes(store, prefix, DateTimeOffset.UtcNow.AddMilliseconds(-1)))
        {
            var error = await Assert.ThrowsAsync<SessionStoreUnavailableException>(write);
            Assert.False(error.MayHaveRun, $"{name}: a write Redis refused is reported as one that may have run.");
        }

        Assert.Equal(before, await StateAsync(prefix));
    }

    [Fact]
    public async Task A_write_with_less_than_the_margin_left_is_not_sent()
    {
        var store = new RedisSessionStore(_connection, TimeProvider.System);
        var prefix = NewKey() + ":";
        await SeedAsync(prefix);
        var before = await StateAsync(prefix);

        var deadline = DateTimeOffset.UtcNow + RedisSessionStore.DeadlineMargin / 2;
        var sent = await redis.CountCommandsAsync(async () =>
        {
            foreach (var (name, write) in Writes(store, prefix, deadline))
                Assert.False((await Assert.ThrowsAsync<SessionStoreUnavailableException>(write)).MayHaveRun, name);
        });

        Assert.DoesNotContain(sent.Keys, command => command is "evalsha" or "eval" or "time");
        Assert.Equal(before, await StateAsync(prefix));
    }

    [Fact]
    public async Task A_write_whose_deadline_is_ahead_writes()
    {
        var store = new RedisSessionStore(_connection, TimeProvider.System);
        var prefix = NewKey() + ":";
        await SeedAsync(prefix);
        foreach (var script in RedisSessionStore.Scripts) await redis.Database.ExecuteAsync("SCRIPT", "LOAD", script);

        // Each write gets its own deadline, a second ahead: a busy machine's slow write cannot eat the next one's time.
        foreach (var (_, write) in Writes(store, prefix, () => DateTimeOffset.UtcNow.AddSeconds(1))) await write();

        var after = await StateAsync(prefix);
        Assert.Equal("""{"n":9} ttl 60""", after["new"]);
        Assert.Equal("""{"n":9} ttl 300""", after["saved"]);
        Assert.Equal(" ttl ", after["removed"]);
        Assert.Equal(" ttl ", after["removed-if"]);
        Assert.Equal("sid-new=1 2 phone ttl 300", after["user:ada"]);
    }

    [Fact]
    public async Task Redis_itself_refuses_a_write_that_reached_it_after_its_deadline()
    {
        // The client cannot tell: the commands are sent on time and wait in the socket of a paused server, which runs
        // them when it resumes, after their deadline.
        await using var own = await RedisServer.StartNewAsync();
        using var connection = new RedisConnection(
            () => Task.FromResult(ConfigurationOptions.Parse(own.ConnectionString)), TimeProvider.System, NullLogger<RedisConnection>.Instance);
        var store = new RedisSessionStore(connection, TimeProvider.System);
        var key = NewKey();
        Assert.True(await store.CreateAsync(key, """{"n":1}""", TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow.AddSeconds(10), default));
        await store.ReplaceIfAsync(key, SessionHash.Of("{}"), "{}", TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow.AddSeconds(10), default); // loads the script

        await own.PauseAsync();
        Task[] writes;
        try
        {
            var deadline = DateTimeOffset.UtcNow.AddMilliseconds(300);
            writes =
            [
                store.ReplaceIfAsync(key, SessionHash.Of("""{"n":1}"""), """{"n":2}""", TimeSpan.FromMinutes(5), deadline, default),
                store.CreateAsync(key + ":new", """{"n":1}""", TimeSpan.FromMinutes(5), deadline, default),
            ];
            await Task.Delay(800);
        }
        finally
        {
            await own.ResumeAsync();
        }
        foreach (var write in writes)
        {
            var error = await Assert.ThrowsAsync<SessionStoreUnavailableException>(() => write);
            Assert.False(error.MayHaveRun);
        }
        Assert.Equal("""{"n":1}""", (string?)await own.Database.StringGetAsync(key));
        Assert.False(await own.Database.KeyExistsAsync(key + ":new"));
        // The same connection serves writes on time at once.
        Assert.True(await store.DestroyAsync(key, DateTimeOffset.UtcNow.AddSeconds(10), default));
    }
}
