using Microsoft.Extensions.DependencyInjection;
using SessionFunctions.Cookies;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// OWASP's absolute timeout beside koa's idle one (<c>Session:AbsoluteTimeout</c>): a session older than this since its
/// creation is gone however active it is; regenerate (a login) keeps the creation time; the store TTL never reaches past
/// the deadline, so Redis ends the session for Koa too; Koa keeps the creation time it finds in the cookie object.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class AbsoluteTimeoutTests(RedisServer redis)
{
    private const string Hour = "3600000";

    [Fact]
    public async Task A_new_session_records_its_creation_and_its_ttl_stops_at_the_absolute_deadline()
    {
        using var api = SessionApiFactory.WithRedis(redis, ("Session:AbsoluteTimeout", Hour));
        var client = api.CreateSessionClient();

        var created = await client.PostAsync(json: """{"nick":"ada"}""");

        var createdAt = DateTimeOffset.Parse(created.Json["cookie"]!["created"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.UtcNow - createdAt, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.Equal(SessionCookie.FormatDate(createdAt.AddHours(1)), created.Headers.GetValues("Session-Absolute-Expires").Single());
        Assert.True(DateTimeOffset.Parse(created.Headers.GetValues("Session-Idle-Expires").Single(), System.Globalization.CultureInfo.InvariantCulture) <= createdAt.AddHours(1));
        // maxAge is a day; the key still ends with the absolute deadline.
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync(SessionKeys.Of(client.Jar["koa.sid"])))!.Value.TotalSeconds, 3500, 3600);
        // A client cannot move its own deadline.
        var now = SessionCookie.FormatDate(DateTimeOffset.UtcNow);
        var forged = await client.PutAsync($$$"""{"nick":"ada","cookie":{"created":"{{{now}}}"}}""");
        Assert.Equal(400, forged.Status);
    }

    [Fact]
    public async Task Activity_and_regenerate_do_not_extend_it_and_past_the_deadline_the_session_is_gone()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
        using var api = SessionApiFactory.WithMemory(services => services.AddSingleton<TimeProvider>(time),
            ("Session:AbsoluteTimeout", "600000"), ("Session:Rolling", "true"));
        var client = api.CreateSessionClient();
        var created = (await client.PostAsync(json: """{"nick":"ada"}""")).Json["cookie"]!["created"]!.GetValue<string>();

        for (var minute = 3; minute <= 9; minute += 3)
        {
            time.Advance(TimeSpan.FromMinutes(3));
            var read = await client.GetAsync();
            Assert.Equal(200, read.Status);
            Assert.Equal("2026-11-22T12:10:00.000Z", read.Headers.GetValues("Session-Absolute-Expires").Single());
            // The rolling refresh stops at the deadline too.
            Assert.Equal("2026-11-22T12:10:00.000Z", read.Headers.GetValues("Session-Idle-Expires").Single());
        }
        var login = await client.RegenerateAsync("""{"nick":"ada","admin":true}""");
        Assert.Equal(200, login.Status);
        Assert.Equal(created, login.Json["cookie"]!["created"]!.GetValue<string>());

        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(404, (await client.GetAsync()).Status);
    }

    [Fact]
    public async Task A_koa_save_keeps_the_creation_time_and_a_koa_session_starts_its_deadline_at_its_first_save_here()
    {
        await using var koa = await KoaApp.StartAsync(redis.Port, [.. SessionApiFactory.TestKeys]);
        using var api = SessionApiFactory.WithRedis(redis, ("Session:AbsoluteTimeout", Hour));
        var ours = api.CreateSessionClient();
        var created = (await ours.PostAsync(json: """{"count":1}""")).Json["cookie"]!["created"]!.GetValue<string>();

        Assert.Equal(200, (await koa.CreateClient(ours.Jar).PostAsync("/session/increment")).Status);
        var stored = (string)(await redis.Database.StringGetAsync(SessionKeys.Of(ours.Jar["koa.sid"])))!;
        Assert.Contains($"\"created\":\"{created}\"", stored, StringComparison.Ordinal);
        Assert.Contains("\"count\":2", stored, StringComparison.Ordinal);

        // A session Koa made has no creation time; its first write here stamps one.
        var jar = new Dictionary<string, string>(StringComparer.Ordinal);
        await koa.CreateClient(jar).PostAsync("/session/merge", """{"count":1}""");
        var saved = await api.CreateSessionClient(jar: jar).PutAsync("""{"count":5}""");
        Assert.Equal(200, saved.Status);
        Assert.NotNull(saved.Json["cookie"]!["created"]);
    }
}
