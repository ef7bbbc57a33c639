using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SessionFunctions.Extensibility;
using SessionFunctions.Http;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// A save is always based on the value the store holds. koa-generic-session is last-writer-wins: a write that lands
/// between a request's read and its save is lost (koa #136). Here a save is a compare-and-set: it writes only if the
/// store still holds what the save started from, and otherwise gets the stored value back, applies its change again
/// to it and retries (the deviation table in docs/koa-compatibility.md). Another writer (a second instance, or Koa) is
/// simulated by a hook that writes to Redis right before the save.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ConcurrentSaveTests(RedisServer redis)
{
    private const string CookieJson = """{"httpOnly":true,"path":"/","overwrite":true,"signed":true,"maxAge":86400000}""";
    private const string HourCookieJson = """{"httpOnly":true,"path":"/","overwrite":true,"signed":true,"maxAge":3600000}""";

    /// <summary>Writes <see cref="Values"/> to the session's key before each save, one per save, while any are left; null deletes it.</summary>
    private sealed class ConcurrentWriter(RedisServer redis) : IBeforeSessionSave
    {
        public Queue<string?> Values { get; } = new();
        public string? Sid { get; set; }

        public void BeforeSave(HttpContext http, JsonObject session)
        {
            if (Sid is null || !Values.TryDequeue(out var value)) return;
            if (value is null) redis.Database.KeyDelete(SessionKeys.Of(Sid));
            else redis.Database.StringSet(SessionKeys.Of(Sid), value);
        }
    }

    private (SessionApiFactory Api, ConcurrentWriter Writer) Start(params (string Key, string? Value)[] settings)
    {
        var writer = new ConcurrentWriter(redis);
        var api = new SessionApiFactory(
            SessionApiFactory.Settings([("Redis:ConnectionString", redis.ConnectionString), .. settings]),
            services => services.AddSingleton<IBeforeSessionSave>(writer));
        return (api, writer);
    }

    /// <summary>A server with a session holding <paramref name="json"/>, and the writer aimed at that session.</summary>
    private async Task<(SessionApiFactory Api, ConcurrentWriter Writer, SessionClient Client)> StartWithSessionAsync(
        string json, params (string Key, string? Value)[] settings)
    {
        var (api, writer) = Start(settings);
        await api.LoadRedisScriptsAsync();
        var client = api.CreateSessionClient();
        await client.PostAsync(json: json);
        writer.Sid = client.Jar["koa.sid"];
        return (api, writer, client);
    }

    private async Task<string> StoredAsync(string sid) => (string)(await redis.Database.StringGetAsync(SessionKeys.Of(sid)))!;

    [Fact]
    public async Task A_save_from_a_stale_memory_is_redone_on_the_value_the_store_holds()
    {
        var (api, writer, client) = await StartWithSessionAsync("""{"count":1}""");
        using var host = api;
        var sid = writer.Sid!;
        // Koa, or another instance, changes the cookie options after this instance last saw the session.
        await redis.Database.StringSetAsync(SessionKeys.Of(sid), $$"""{"cookie":{{HourCookieJson}},"count":7}""");

        var (response, commands) = await redis.WithCommandCountsAsync(() => client.PutAsync("""{"count":2}"""));

        Assert.Equal(200, response.Status);
        // The guess writes nothing (EVALSHA and its GET); the redo writes (EVALSHA, GET and SET).
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 2, ["time"] = 2, ["get"] = 2, ["set"] = 1 }, commands);
        Assert.Equal($$"""{"cookie":{{HourCookieJson}},"count":2}""", await StoredAsync(sid));
        Assert.Equal(3600000, response.Json["cookie"]!["maxAge"]!.GetValue<long>());
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync(SessionKeys.Of(sid)))!.Value.TotalSeconds, 3500, 3600);
    }

    [Fact]
    public async Task A_write_between_read_and_save_is_not_lost()
    {
        var (api, writer, client) = await StartWithSessionAsync("""{"count":1}""", ("Session:RecentSessions", "0"));
        using var host = api;
        writer.Values.Enqueue($$"""{"cookie":{{HourCookieJson}},"count":7}""");

        var response = await client.PutAsync("""{"count":2}""");

        Assert.Equal(200, response.Status);
        Assert.Equal($$"""{"cookie":{{HourCookieJson}},"count":2}""", await StoredAsync(writer.Sid!));
    }

    [Fact]
    public async Task A_save_never_resurrects_a_session_removed_after_it_was_read()
    {
        var (api, writer, client) = await StartWithSessionAsync("""{"count":1}""", ("Session:RecentSessions", "0"));
        using var host = api;
        writer.Values.Enqueue(null); // a logout lands between this save's read and its write

        var response = await client.PutAsync("""{"count":2}""");

        Assert.Equal(409, response.Status);
        Assert.Contains("removed", response.Json["detail"]!.GetValue<string>());
        Assert.False(await redis.Database.KeyExistsAsync(SessionKeys.Of(writer.Sid!)));
    }

    [Fact]
    public async Task A_rolling_read_never_writes_back_an_older_value()
    {
        // koa-generic-session #136: a rolling re-save undid a concurrent change (there, a logout). This instance still
        // remembers "ada" from creating the session, and must not write it back over what another writer left.
        var (api, writer, client) = await StartWithSessionAsync("""{"nick":"ada"}""", ("Session:Rolling", "true"));
        using var host = api;
        await redis.Database.StringSetAsync(SessionKeys.Of(writer.Sid!), $$"""{"cookie":{{CookieJson}},"nick":"grace"}""");

        var (response, commands) = await redis.WithCommandCountsAsync(() => client.GetAsync());

        Assert.Equal(new Dictionary<string, long> { ["getex"] = 1 }, commands); // the TTL is refreshed; no value is written
        Assert.Equal(200, response.Status);
        Assert.Equal("grace", response.Json["nick"]!.GetValue<string>());
        Assert.Equal($$"""{"cookie":{{CookieJson}},"nick":"grace"}""", await StoredAsync(writer.Sid!));
    }

    [Fact]
    public async Task A_concurrent_write_of_other_fields_costs_one_redo_and_the_put_wins()
    {
        // A PUT replaces every field, so over a value with the same cookie options the redo writes what the first attempt
        // would have: the PUT's fields win, as in koa.
        var (api, writer, client) = await StartWithSessionAsync("""{"count":1}""");
        using var host = api;
        writer.Values.Enqueue($$"""{"cookie":{{CookieJson}},"count":50,"other":true}""");

        var (response, commands) = await redis.WithCommandCountsAsync(() => client.PutAsync("""{"count":2}"""));

        Assert.Equal(200, response.Status);
        // The writer's SET; ours: a compare-and-set that finds another value (EVALSHA and GET), then the redo (EVALSHA, GET, SET).
        Assert.Equal(new Dictionary<string, long> { ["set"] = 2, ["evalsha"] = 2, ["time"] = 2, ["get"] = 2 }, commands);
        Assert.Equal($$"""{"cookie":{{CookieJson}},"count":2}""", await StoredAsync(writer.Sid!));
    }

    [Fact]
    public async Task A_save_whose_cookie_options_keep_changing_for_the_whole_retry_budget_gets_409()
    {
        var (api, writer, client) = await StartWithSessionAsync("""{"count":1}""");
        using var host = api;
        const int Writes = 5_000;
        for (var i = 0; i < Writes; i++)
            writer.Values.Enqueue($$"""{"cookie":{"httpOnly":true,"path":"/","overwrite":true,"signed":true,"maxAge":{{3600000 + i}}},"count":1}""");

        var response = await client.PutAsync("""{"count":2}""");

        Assert.Equal(409, response.Status);
        Assert.Equal(SessionProblem.Conflict.Type, response.ProblemType);
        Assert.Contains("kept changing", response.Json["detail"]!.GetValue<string>());
        Assert.InRange(Writes - writer.Values.Count, 3, Writes - 1); // retried, and gave up within the budget
        Assert.Contains("\"count\":1", await StoredAsync(writer.Sid!));
    }

    [Fact]
    public async Task A_save_over_an_unreadable_value_is_409_and_leaves_that_value_and_the_cookies_alone()
    {
        var (api, writer, client) = await StartWithSessionAsync("""{"count":1}""");
        using var host = api;
        var sid = writer.Sid!;
        writer.Values.Enqueue("not json");

        var response = await client.PutAsync("""{"count":2}""");

        // The key exists, for Koa too: a new session would clear the shared cookie and orphan the value (docs/hostile-clients.md, M3).
        Assert.Equal(409, response.Status);
        Assert.Equal(SessionProblem.Unreadable.Type, response.ProblemType);
        Assert.Empty(response.SetCookies);
        Assert.Equal(sid, client.Jar["koa.sid"]);
        Assert.Equal("not json", await StoredAsync(sid));
    }
}
