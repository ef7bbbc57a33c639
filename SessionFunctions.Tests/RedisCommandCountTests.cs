using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// The benchmark's command targets (bench/README.md), as exact commands per request from INFO commandstats: these do
/// not depend on timing, so they hold in the normal suite. In round trips: create 1, read 1, write 1 when the instance
/// remembers the session (else 2), remove 1, rolling read 1. A write's round trip is a script (create, compare-and-set,
/// delete), and INFO commandstats counts what it runs inside besides the EVALSHA: the TIME that checks the write's
/// deadline (docs/write-deadlines.md), then the GET, SET or DEL.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisCommandCountTests(RedisServer redis)
{
    private static readonly Dictionary<string, long> CompareAndSet = new() { ["evalsha"] = 1, ["time"] = 1, ["get"] = 1, ["set"] = 1 };

    /// <summary>The commands <paramref name="request"/> ran, once it answered <paramref name="status"/>.</summary>
    private async Task<Dictionary<string, long>> CommandsAsync(int status, Func<Task<SessionResponse>> request)
    {
        var (response, commands) = await redis.WithCommandCountsAsync(request);
        Assert.Equal(status, response.Status);
        return commands;
    }

    [Fact]
    public async Task Each_workload_stays_within_its_command_budget()
    {
        using var api = SessionApiFactory.WithRedis(redis);
        await api.LoadRedisScriptsAsync();
        var client = api.CreateSessionClient();
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["time"] = 1, ["set"] = 1 }, await CommandsAsync(201, () => client.PostAsync(json: """{"count":0}""")));
        Assert.Equal(new Dictionary<string, long> { ["get"] = 1 }, await CommandsAsync(200, () => client.GetAsync()));
        for (var i = 1; i <= 3; i++)
            Assert.Equal(CompareAndSet, await CommandsAsync(200, () => client.PutAsync($$"""{"count":{{i}}}""")));
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["time"] = 1, ["del"] = 1 }, await CommandsAsync(204, () => client.DeleteAsync()));

        using var rolling = SessionApiFactory.WithRedis(redis, ("Session:Rolling", "true"));
        var rollingClient = rolling.CreateSessionClient();
        await rollingClient.PostAsync(json: """{"count":0}""");
        Assert.Equal(new Dictionary<string, long> { ["getex"] = 1 }, await CommandsAsync(200, () => rollingClient.GetAsync()));
    }

    [Fact]
    public async Task A_save_that_does_not_remember_the_session_reads_it_first()
    {
        // Another instance created the session, or this one keeps no memory of sessions (RecentSessions = 0).
        using var creator = SessionApiFactory.WithRedis(redis);
        using var api = SessionApiFactory.WithRedis(redis, ("Session:RecentSessions", "0"));
        var jar = creator.CreateSessionClient().Jar;
        await creator.CreateSessionClient(jar: jar).PostAsync(json: """{"count":0}""");
        await api.LoadRedisScriptsAsync();
        var client = api.CreateSessionClient(jar: jar);
        // A GET, then the compare-and-set (EVALSHA with its GET and SET).
        Assert.Equal(new Dictionary<string, long> { ["get"] = 2, ["evalsha"] = 1, ["time"] = 1, ["set"] = 1 }, await CommandsAsync(200, () => client.PutAsync("""{"count":1}""")));
        // Unchanged: the read shows there is nothing to write.
        Assert.Equal(new Dictionary<string, long> { ["get"] = 1 }, await CommandsAsync(200, () => client.PutAsync("""{"count":1}""")));
    }
}
