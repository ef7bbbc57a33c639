using Microsoft.Extensions.Logging.Abstractions;
using SessionFunctions.Redis;
using SessionFunctions.Tests.Infrastructure;
using StackExchange.Redis;

namespace SessionFunctions.Tests;

/// <summary>
/// The Redis store's commands against a real redis-server, beyond the contract every store keeps
/// (<see cref="SessionStoreContractTests"/>): each operation is one round trip, and the compare-and-set script survives
/// a server that forgot it (<c>NOSCRIPT</c> after a restart or <c>SCRIPT FLUSH</c>).
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
}
