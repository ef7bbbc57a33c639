using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using SessionFunctions.Lifecycle;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// One session saved by many requests at once: one user's tabs, or a SPA that autosaves. Within one instance the saves
/// take turns (SessionWriteOrder), so a save without <c>If-Match</c> never conflicts; between instances they meet in
/// Redis' compare-and-set and retry within a budget (ConflictRetry). No update is lost either way.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class HotSessionTests(RedisServer redis)
{
    private const int Writers = 16;
    private const int SavesPerWriter = 25;

    private static async Task<Dictionary<string, string>> CreateSessionAsync(SessionApiFactory api)
    {
        var client = api.CreateSessionClient();
        Assert.Equal(201, (await client.PostAsync(json: """{"count":0}""")).Status);
        return client.Jar;
    }

    private async Task<JsonObject> StoredAsync(Dictionary<string, string> jar) =>
        JsonNode.Parse((string)(await redis.Database.StringGetAsync(SessionKeys.Of(jar["koa.sid"])))!)!.AsObject();

    [Fact]
    public async Task Blind_saves_of_one_session_on_one_instance_all_succeed_and_the_last_one_stands()
    {
        using var api = SessionApiFactory.WithRedis(redis);
        var jar = await CreateSessionAsync(api);
        var written = new ConcurrentBag<string>();
        var statuses = new ConcurrentBag<int>();

        await api.LoadRedisScriptsAsync();

        var commands = await redis.CountCommandsAsync(() => Task.WhenAll(Enumerable.Range(0, Writers).Select(async writer =>
        {
            using var client = api.CreateSessionClient(jar: new Dictionary<string, string>(jar));
            for (var save = 0; save < SavesPerWriter; save++)
            {
                var body = $$"""{"writer":{{writer}},"save":{{save}}}""";
                statuses.Add((await client.PutAsync(body)).Status);
                written.Add(body);
            }
        })));

        Assert.All(statuses, status => Assert.Equal(200, status));
        // Each save started from what the one before it wrote: one compare-and-set each, none of them redone.
        Assert.Equal(Writers * SavesPerWriter, commands["evalsha"]);
        Assert.Equal(Writers * SavesPerWriter, commands["set"]);
        var stored = await StoredAsync(jar);
        var last = $$"""{"writer":{{stored["writer"]}},"save":{{stored["save"]}}}""";
        Assert.Contains(last, written);
        Assert.Equal(["cookie", "writer", "save"], stored.Select(p => p.Key));
    }

    [Fact]
    public async Task Merge_patches_of_one_session_from_two_instances_lose_no_update()
    {
        using var first = SessionApiFactory.WithRedis(redis);
        using var second = SessionApiFactory.WithRedis(redis);
        var jar = await CreateSessionAsync(first);
        var conflicts = new ConcurrentBag<TimeSpan>();

        // Each writer owns one field and patches it with its own counter: the last value each got 200 for must be stored.
        var lastSaved = await Task.WhenAll(Enumerable.Range(0, Writers).Select(async writer =>
        {
            using var client = (writer % 2 == 0 ? first : second).CreateSessionClient(jar: new Dictionary<string, string>(jar));
            var saved = -1;
            for (var save = 0; save < SavesPerWriter; save++)
            {
                var clock = Stopwatch.StartNew();
                var response = await client.PatchAsync($$"""{"w{{writer}}":{{save}}}""");
                if (response.Status == 200) saved = save;
                else if (response.Status == 409) conflicts.Add(clock.Elapsed);
                else Assert.Fail($"PATCH answered {response.Status}");
            }
            return saved;
        }));

        var stored = await StoredAsync(jar);
        for (var writer = 0; writer < Writers; writer++)
        {
            if (lastSaved[writer] >= 0) Assert.Equal(lastSaved[writer], stored[$"w{writer}"]!.GetValue<int>());
        }
        // A 409 comes only once the retry budget is spent.
        Assert.All(conflicts, elapsed => Assert.True(elapsed >= ConflictRetry.Budget * 0.9, $"409 after {elapsed.TotalMilliseconds} ms"));
        Assert.True(conflicts.Count < Writers * SavesPerWriter / 10, $"{conflicts.Count} conflicts");
    }

    [Fact]
    public async Task Conditional_increments_from_two_instances_lose_no_update()
    {
        using var first = SessionApiFactory.WithRedis(redis);
        using var second = SessionApiFactory.WithRedis(redis);
        var jar = await CreateSessionAsync(first);
        var increments = 0;

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(async writer =>
        {
            using var client = (writer % 2 == 0 ? first : second).CreateSessionClient(jar: new Dictionary<string, string>(jar));
            for (var attempt = 0; attempt < SavesPerWriter; attempt++)
            {
                var read = await client.GetAsync();
                var count = read.Json["count"]!.GetValue<int>();
                var etag = read.Headers.ETag!.Tag;
                var put = await client.PutAsync($$"""{"count":{{count + 1}}}""", configure: r => r.Headers.TryAddWithoutValidation("If-Match", etag));
                Assert.Contains(put.Status, new[] { 200, 412 });
                if (put.Status == 200) Interlocked.Increment(ref increments);
            }
        }));

        Assert.True(increments > 0);
        Assert.Equal(increments, (await StoredAsync(jar))["count"]!.GetValue<int>());
    }
}
