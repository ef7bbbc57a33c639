using Microsoft.Extensions.Logging.Abstractions;
using SessionFunctions.Redis;
using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;
using StackExchange.Redis;

namespace SessionFunctions.Tests;

/// <summary>
/// What every <see cref="ISessionStore"/> promises, run against each real one: the memory store, and Redis with and
/// without <c>GETEX</c> (older than 6.2). Creates only where nothing is, compare-and-set and compare-and-delete by the
/// stored text's SHA-1, and a read that refreshes the TTL.
/// </summary>
public abstract class SessionStoreContractTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    // Far enough ahead that no write here meets it (docs/write-deadlines.md); RedisSessionStoreTests has those that do.
    private static DateTimeOffset Deadline => DateTimeOffset.UtcNow.AddMinutes(1);

    protected abstract ISessionStore Store { get; }

    protected abstract Task<TimeSpan?> TimeToLiveAsync(string key);

    private static string NewKey() => SessionKeys.Of("contract-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Creates_only_where_no_key_is()
    {
        var key = NewKey();
        Assert.True(await Store.CreateAsync(key, """{"n":1}""", Minute, Deadline, default));
        Assert.False(await Store.CreateAsync(key, """{"n":2}""", Minute, Deadline, default));
        Assert.Equal("""{"n":1}""", await Store.GetAsync(key, default));
    }

    [Fact]
    public async Task Replaces_only_the_value_it_names_and_otherwise_says_what_is_there()
    {
        var key = NewKey();
        // A save never resurrects a session that was removed after it was read.
        Assert.Equal(SessionStoreWrite.Missing, await Store.ReplaceIfAsync(key, SessionHash.Of("{}"), "{}", Minute, Deadline, default));
        Assert.Null(await Store.GetAsync(key, default));

        await Store.CreateAsync(key, """{"n":1}""", Minute, Deadline, default);
        // Another writer's value is returned, and nothing is written over it.
        Assert.Equal(SessionStoreWrite.Changed("""{"n":1}"""), await Store.ReplaceIfAsync(key, SessionHash.Of("""{"n":0}"""), """{"n":9}""", Minute, Deadline, default));
        Assert.Equal("""{"n":1}""", await Store.GetAsync(key, default));

        Assert.Equal(SessionStoreWrite.Done, await Store.ReplaceIfAsync(key, SessionHash.Of("""{"n":1}"""), """{"n":2,"s":"é😀"}""", TimeSpan.FromSeconds(90), Deadline, default));
        Assert.Equal("""{"n":2,"s":"é😀"}""", await Store.GetAsync(key, default));
        Assert.InRange((await TimeToLiveAsync(key))!.Value.TotalSeconds, 85, 90);
        // The hash is of the UTF-8 bytes, as Redis' sha1hex computes it: non-ASCII text compares too.
        Assert.Equal(SessionStoreWrite.Done, await Store.ReplaceIfAsync(key, SessionHash.Of("""{"n":2,"s":"é😀"}"""), """{"n":3}""", Minute, Deadline, default));
    }

    [Fact]
    public async Task Deletes_say_whether_the_key_existed_and_a_conditional_one_deletes_only_what_it_names()
    {
        var key = NewKey();
        await Store.CreateAsync(key, """{"n":1}""", Minute, Deadline, default);
        Assert.Equal(SessionStoreWrite.Changed("""{"n":1}"""), await Store.DestroyIfAsync(key, SessionHash.Of("{}"), Deadline, default));
        Assert.Equal(SessionStoreWrite.Done, await Store.DestroyIfAsync(key, SessionHash.Of("""{"n":1}"""), Deadline, default));
        Assert.Equal(SessionStoreWrite.Missing, await Store.DestroyIfAsync(key, SessionHash.Of("""{"n":1}"""), Deadline, default));

        await Store.CreateAsync(key, "{}", Minute, Deadline, default);
        Assert.True(await Store.DestroyAsync(key, Deadline, default));
        Assert.False(await Store.DestroyAsync(key, Deadline, default));
    }

    [Fact]
    public async Task A_read_that_touches_gives_a_new_ttl_and_touches_nothing_that_is_not_there()
    {
        var key = NewKey();
        Assert.Null(await Store.GetAndTouchAsync(key, Minute, default));
        Assert.False(await Store.TouchAsync(key, Minute, default));
        Assert.Null(await TimeToLiveAsync(key));

        await Store.CreateAsync(key, """{"n":1}""", TimeSpan.FromSeconds(30), Deadline, default);
        Assert.Equal("""{"n":1}""", await Store.GetAndTouchAsync(key, TimeSpan.FromSeconds(600), default));
        Assert.InRange((await TimeToLiveAsync(key))!.Value.TotalSeconds, 590, 600);
        Assert.True(await Store.TouchAsync(key, TimeSpan.FromSeconds(120), default));
        Assert.InRange((await TimeToLiveAsync(key))!.Value.TotalSeconds, 110, 120);
    }
}

public sealed class MemorySessionStoreContractTests : SessionStoreContractTests, IDisposable
{
    private readonly MemorySessionStore _store = new(TimeProvider.System);

    protected override ISessionStore Store => _store;

    protected override Task<TimeSpan?> TimeToLiveAsync(string key) => Task.FromResult(_store.TimeToLive(key));

    public void Dispose() => _store.Dispose();
}

[Collection(RedisCollection.Name)]
public sealed class RedisSessionStoreContractTests(RedisServer redis) : SessionStoreContractTests, IDisposable
{
    private readonly RedisConnection _connection = new(
        () => Task.FromResult(ConfigurationOptions.Parse(redis.ConnectionString)), TimeProvider.System, NullLogger<RedisConnection>.Instance);

    protected override ISessionStore Store => new RedisSessionStore(_connection, TimeProvider.System);

    protected override Task<TimeSpan?> TimeToLiveAsync(string key) => redis.Database.KeyTimeToLiveAsync(key);

    public void Dispose() => _connection.Dispose();
}

/// <summary>The same against a store that takes Redis for one older than 6.2 (no <c>GETEX</c>), as Azure Cache for Redis 6.0 is.</summary>
[Collection(RedisCollection.Name)]
public sealed class OlderRedisSessionStoreContractTests(RedisServer redis) : SessionStoreContractTests, IDisposable
{
    private readonly RedisConnection _connection = new(
        () => Task.FromResult(ConfigurationOptions.Parse(redis.ConnectionString)), TimeProvider.System, NullLogger<RedisConnection>.Instance);

    protected override ISessionStore Store => new RedisSessionStore(_connection, TimeProvider.System, olderThanRedis62: true);

    protected override Task<TimeSpan?> TimeToLiveAsync(string key) => redis.Database.KeyTimeToLiveAsync(key);

    public void Dispose() => _connection.Dispose();
}
