using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// The benchmark's command targets (bench/README.md), as exact counts per request from INFO commandstats: these do not
/// depend on timing, so they hold in the normal suite. Read = 1; write = 1 when the instance remembers the session,
/// else 2; create = 1; remove = 1; rolling read = 2.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisCommandCountTests(RedisServer redis)
{
    private async Task<long> CommandsAsync(Func<Task> request) => (await redis.CountCommandsAsync(request)).Values.Sum();

    [Fact]
    public async Task Each_workload_stays_within_its_command_budget()
    {
        using var api = SessionApiFactory.WithRedis(redis);
        var client = api.CreateSessionClient();
        Assert.Equal(1, await CommandsAsync(async () => Assert.Equal(201, (await client.PostAsync(json: """{"count":0}""")).Status)));
        Assert.Equal(1, await CommandsAsync(async () => Assert.Equal(200, (await client.GetAsync()).Status)));
        for (var i = 1; i <= 3; i++)
            Assert.Equal(1, await CommandsAsync(async () => Assert.Equal(200, (await client.PutAsync($$"""{"count":{{i}}}""")).Status)));
        Assert.Equal(1, await CommandsAsync(async () => Assert.Equal(204, (await client.DeleteAsync()).Status)));

        using var rolling = SessionApiFactory.WithRedis(redis, ("Session:Rolling", "true"));
        var rollingClient = rolling.CreateSessionClient();
        await rollingClient.PostAsync(json: """{"count":0}""");
        Assert.Equal(2, await CommandsAsync(async () => Assert.Equal(200, (await rollingClient.GetAsync()).Status)));
    }

    [Fact]
    public async Task A_save_that_does_not_remember_the_session_reads_it_first()
    {
        // Another instance created the session, or this one keeps no memory of sessions (RecentSessions = 0).
        using var creator = SessionApiFactory.WithRedis(redis);
        using var api = SessionApiFactory.WithRedis(redis, ("Session:RecentSessions", "0"));
        var jar = creator.CreateSessionClient().Jar;
        await creator.CreateSessionClient(jar: jar).PostAsync(json: """{"count":0}""");
        var client = api.CreateSessionClient(jar: jar);
        Assert.Equal(new Dictionary<string, long> { ["get"] = 1, ["set"] = 1 },
            await redis.CountCommandsAsync(async () => Assert.Equal(200, (await client.PutAsync("""{"count":1}""")).Status)));
        // Unchanged: the read shows there is nothing to write.
        Assert.Equal(new Dictionary<string, long> { ["get"] = 1 },
            await redis.CountCommandsAsync(async () => Assert.Equal(200, (await client.PutAsync("""{"count":1}""")).Status)));
    }
}
