using Microsoft.Extensions.Logging.Abstractions;
using SessionFunctions.Redis;
using SessionFunctions.Tests.Infrastructure;
using StackExchange.Redis;

namespace SessionFunctions.Tests;

/// <summary>
/// The Redis store's commands against a real redis-server: SET NX creates, SET XX GET replaces and returns what it
/// replaced, and servers older than Redis 6.2 get the same from MULTI GET SET EXEC.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisSessionStoreTests(RedisServer redis) : IDisposable
{
    private readonly RedisConnection _connection = new(
        () => Task.FromResult(ConfigurationOptions.Parse(redis.ConnectionString)), TimeProvider.System, NullLogger<RedisConnection>.Instance);

    public void Dispose() => _connection.Dispose();

    private RedisSessionStore Store(bool inTransaction) => new(_connection, inTransaction);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Creates_only_absent_keys_and_replaces_only_present_ones(bool inTransaction)
    {
        var store = Store(inTransaction);
        var key = "koa:sess:store-" + Guid.NewGuid().ToString("N");

        // A save never resurrects a session that was removed after it was read.
        Assert.Null(await store.ReplaceAsync(key, "{}", TimeSpan.FromMinutes(1), default));
        Assert.False(await redis.Database.KeyExistsAsync(key));

        Assert.True(await store.CreateAsync(key, """{"n":1}""", TimeSpan.FromMinutes(1), default));
        Assert.False(await store.CreateAsync(key, """{"n":2}""", TimeSpan.FromMinutes(1), default));
        Assert.Equal("""{"n":1}""", await store.GetAsync(key, default));

        Assert.Equal("""{"n":1}""", await store.ReplaceAsync(key, """{"n":3}""", TimeSpan.FromSeconds(90), default));
        Assert.Equal("""{"n":3}""", (string?)await redis.Database.StringGetAsync(key));
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync(key))!.Value.TotalSeconds, 85, 90);

        await store.DestroyAsync(key, default);
        Assert.Null(await store.ReplaceAsync(key, """{"n":4}""", TimeSpan.FromMinutes(1), default));
        Assert.Null(await store.GetAsync(key, default));
    }

    [Theory]
    [InlineData(false, "set")]
    [InlineData(true, "exec")]
    public async Task A_replace_is_one_round_trip(bool inTransaction, string command)
    {
        var store = Store(inTransaction);
        var key = "koa:sess:store-" + Guid.NewGuid().ToString("N");
        await store.CreateAsync(key, "{}", TimeSpan.FromMinutes(1), default);
        var counts = await redis.CountCommandsAsync(() => store.ReplaceAsync(key, """{"n":1}""", TimeSpan.FromMinutes(1), default));
        Assert.Equal(1, counts[command]);
        Assert.Equal(inTransaction ? 4 : 1, counts.Values.Sum()); // MULTI GET SET EXEC, or one SET … XX GET
    }
}
