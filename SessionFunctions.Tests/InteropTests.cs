using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SessionFunctions.Cookies;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// Two-way compatibility with a real koa-generic-session 2.3.1 + koa-redis 4.0.1 app (KoaReferenceApp/), sharing one
/// redis-server and the same keys: a browser (one cookie jar) moves freely between Koa and this service.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed partial class InteropTests(RedisServer redis)
{
    private static readonly string[] Keys = ["keys", "keykeys"];

    private sealed class Pair(SessionApiFactory ours, KoaApp koa) : IAsyncDisposable
    {
        public Dictionary<string, string> Jar { get; } = new(StringComparer.Ordinal);
        public SessionClient Ours => ours.CreateSessionClient(jar: Jar);
        public SessionClient Koa => koa.CreateClient(Jar);
        public KoaApp KoaApp => koa;

        public async ValueTask DisposeAsync()
        {
            Assert.Equal(0, await koa.StopAsync());
            ours.Dispose();
        }
    }

    /// <summary>Both sides with the same keys and options; <paramref name="koaOptions"/> and <paramref name="ourSettings"/> must say the same thing.</summary>
    private async Task<Pair> StartAsync(object? koaOptions = null, string[]? koaKeys = null, string[]? ourKeys = null, params (string, string?)[] ourSettings)
    {
        var settings = new List<(string, string?)>(ourSettings);
        var keys = ourKeys ?? Keys;
        for (var i = 0; i < 3; i++) settings.Add(($"Session:Keys:{i}", i < keys.Length ? keys[i] : null));
        var koa = await KoaApp.StartAsync(redis.Port, koaKeys ?? Keys, koaOptions);
        return new Pair(SessionApiFactory.WithRedis(redis, [.. settings]), koa);
    }

    private static JsonObject Fields(JsonObject session)
    {
        var copy = (JsonObject)session.DeepClone();
        copy.Remove("cookie");
        return copy;
    }

    private async Task<double> TtlAsync(string key) => (await redis.Database.KeyTimeToLiveAsync(key))?.TotalSeconds ?? -1;

    [Fact]
    public async Task S1_a_session_created_here_is_read_by_koa_without_a_re_save_and_the_reverse()
    {
        await using var pair = await StartAsync();
        var created = await pair.Ours.PostAsync(json: """{"count":1,"nick":"ada"}""");
        var sid = pair.Jar["koa.sid"];
        var (koaRead, commands) = await redis.WithCommandCountsAsync(() => pair.Koa.GetAsync("/session"));
        Assert.Equal(new Dictionary<string, long> { ["get"] = 1 }, commands);
        Assert.Empty(koaRead.SetCookies);
        Assert.Equal(sid, koaRead.Json["sessionId"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(created.Json, koaRead.Json["session"]));

        pair.Jar.Clear();
        var koaCreated = await pair.Koa.PostAsync("/session/merge", """{"count":7}""");
        Assert.Equal(2, koaCreated.SetCookies.Count);
        (var ourRead, commands) = await redis.WithCommandCountsAsync(() => pair.Ours.GetAsync());
        Assert.Equal(new Dictionary<string, long> { ["get"] = 1 }, commands);
        Assert.Equal(200, ourRead.Status);
        Assert.Empty(ourRead.SetCookies);
        Assert.True(JsonNode.DeepEquals(koaCreated.Json["session"], ourRead.Json));
    }

    [Fact]
    public async Task S2_alternating_modifications_are_seen_by_both_and_the_ttl_follows_the_koa_rule()
    {
        await using var pair = await StartAsync();
        await pair.Ours.PostAsync(json: """{"count":0}""");
        var key = SessionKeys.Of(pair.Jar["koa.sid"]);
        for (var round = 1; round <= 3; round++)
        {
            var koa = await pair.Koa.PostAsync("/session/increment");
            Assert.Equal(2 * round - 1, koa.Json["session"]!["count"]!.GetValue<int>());
            Assert.InRange(await TtlAsync(key), 86390, 86400);

            var ours = await pair.Ours.GetAsync();
            var count = ours.Json["count"]!.GetValue<int>();
            Assert.Equal(2 * round - 1, count);
            var saved = await pair.Ours.PutAsync($$"""{"count":{{count + 1}}}""");
            Assert.Equal(200, saved.Status);
            Assert.InRange(await TtlAsync(key), 86390, 86400);
        }
        Assert.Equal(6, (await pair.Koa.GetAsync("/session")).Json["session"]!["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task S3_key_rotation_koa_signed_with_the_second_key_is_accepted_here_and_re_signed_and_the_reverse()
    {
        // Koa still signs with "old"; this service already rotated to ["new", "old"].
        await using (var pair = await StartAsync(koaKeys: ["old"], ourKeys: ["new", "old"]))
        {
            await pair.Koa.PostAsync("/session/merge", """{"count":1}""");
            var sid = pair.Jar["koa.sid"];
            var read = await pair.Ours.GetAsync();
            Assert.Equal(200, read.Status);
            Assert.Equal(new Keygrip(["new"]).Sign("koa.sid=" + sid), pair.Jar["koa.sid.sig"]);
        }
        // And the other way round.
        await using (var pair = await StartAsync(koaKeys: ["new", "old"], ourKeys: ["old"]))
        {
            await pair.Ours.PostAsync(json: """{"count":1}""");
            var sid = pair.Jar["koa.sid"];
            var read = await pair.Koa.GetAsync("/session");
            Assert.Equal(sid, read.Json["sessionId"]!.GetValue<string>());
            Assert.Equal(1, read.Json["session"]!["count"]!.GetValue<int>());
            Assert.Equal(new Keygrip(["new"]).Sign("koa.sid=" + sid), pair.Jar["koa.sid.sig"]);
        }
    }

    [Fact]
    public async Task S4_remove_and_regenerate_on_either_side_hold_for_both()
    {
        await using var pair = await StartAsync();

        await pair.Ours.PostAsync(json: """{"n":1}""");
        await pair.Koa.SendAsync(HttpMethod.Delete, "/session", null, null);
        Assert.Equal(404, (await pair.Ours.GetAsync()).Status);

        await pair.Koa.PostAsync("/session/merge", """{"n":2}""");
        Assert.Equal(204, (await pair.Ours.DeleteAsync()).Status);
        var koaAfter = await pair.Koa.GetAsync("/session");
        Assert.Null(koaAfter.Json["session"]!["n"]);

        await pair.Ours.PostAsync(json: """{"n":3}""");
        var before = new Dictionary<string, string>(pair.Jar);
        await pair.Koa.PostAsync("/session/regenerate", """{"nick":"ada"}""");
        Assert.NotEqual(before["koa.sid"], pair.Jar["koa.sid"]);
        Assert.Equal("ada", (await pair.Ours.GetAsync()).Json["nick"]!.GetValue<string>());
        var stale = pair.KoaApp.CreateClient(new Dictionary<string, string>(before));
        Assert.Null((await stale.GetAsync("/session")).Json["session"]!["n"]);

        before = new Dictionary<string, string>(pair.Jar);
        await pair.Ours.RegenerateAsync("""{"nick":"grace"}""");
        Assert.NotEqual(before["koa.sid"], pair.Jar["koa.sid"]);
        var koaNew = await pair.Koa.GetAsync("/session");
        Assert.Equal("grace", koaNew.Json["session"]!["nick"]!.GetValue<string>());
        Assert.Equal(pair.Jar["koa.sid"], koaNew.Json["sessionId"]!.GetValue<string>());
        stale = pair.KoaApp.CreateClient(new Dictionary<string, string>(before));
        Assert.Null((await stale.GetAsync("/session")).Json["session"]!["nick"]);
        Assert.False(await redis.Database.KeyExistsAsync(SessionKeys.Of(before["koa.sid"])));
    }

    [Fact]
    public async Task S5_custom_options_on_both_sides_interoperate()
    {
        var koaOptions = new { key = "my.sid", prefix = "app:", ttl = 120000, cookie = new { path = "/api", domain = "example.com", sameSite = "lax", maxAge = 3600000 } };
        await using var pair = await StartAsync(koaOptions, ourSettings:
        [
            ("Session:Key", "my.sid"), ("Session:Prefix", "app:"), ("Session:Ttl", "120000"), ("Session:Cookie:Path", "/api"),
            ("Session:Cookie:Domain", "example.com"), ("Session:Cookie:SameSite", "lax"), ("Session:Cookie:MaxAge", "3600000"),
        ]);
        await pair.Ours.PostAsync(json: """{"a":1}""");
        var key = "app:" + pair.Jar["my.sid"];
        Assert.InRange(await TtlAsync(key), 110, 120);
        var koa = await pair.Koa.PostAsync("/api/session/increment");
        Assert.Equal(1, koa.Json["session"]!["a"]!.GetValue<int>());
        Assert.Equal(1, koa.Json["session"]!["count"]!.GetValue<int>());
        Assert.InRange(await TtlAsync(key), 110, 120);
        Assert.Equal(1, (await pair.Ours.GetAsync()).Json["count"]!.GetValue<int>());

        pair.Jar.Clear();
        await pair.Koa.PostAsync("/api/session/merge", """{"b":2}""");
        Assert.Equal(2, (await pair.Ours.GetAsync()).Json["b"]!.GetValue<int>());
    }

    [Fact]
    public async Task S5_a_browser_session_cookie_interoperates_and_here_it_still_gets_a_ttl()
    {
        await using var pair = await StartAsync(new { cookie = new { maxAge = (int?)null } }, ourSettings: [("Session:Cookie:MaxAge", "")]);
        await pair.Koa.PostAsync("/session/merge", """{"a":1}""");
        var key = SessionKeys.Of(pair.Jar["koa.sid"]);
        Assert.Equal(-1, await TtlAsync(key)); // koa-redis: SET without expiry
        var ours = await pair.Ours.PutAsync("""{"a":2}""");
        Assert.Null(ours.Json["cookie"]!["maxAge"]);
        Assert.DoesNotContain("expires", ours.SetCookie("koa.sid"));
        Assert.InRange(await TtlAsync(key), 86390, 86400); // deviation: bounded
        Assert.Equal(2, (await pair.Koa.GetAsync("/session")).Json["session"]!["a"]!.GetValue<int>());
    }

    private static string Normalise(string header, string sid, string sig) =>
        ExpiresRegex().Replace(header.Replace(sid, "<SID>", StringComparison.Ordinal).Replace(sig, "<SIG>", StringComparison.Ordinal), "expires=<E>");

    private static Dictionary<string, string> Attributes(string header) =>
        header.Split("; ").Skip(1).Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a.Length > 1 ? a[1] : "");

    [Fact]
    public async Task S6_set_cookie_headers_are_equal_for_the_same_operation()
    {
        await using var pair = await StartAsync();
        var koaJar = new Dictionary<string, string>();
        var koaCreate = await pair.KoaApp.CreateClient(koaJar).PostAsync("/session/merge", """{"count":1}""");
        var ourCreate = await pair.Ours.PostAsync(json: """{"count":1}""");

        Assert.Equal(2, koaCreate.SetCookies.Count);
        Assert.Equal(2, ourCreate.SetCookies.Count);
        for (var i = 0; i < 2; i++)
        {
            var koa = Normalise(koaCreate.SetCookies[i], koaJar["koa.sid"], koaJar["koa.sid.sig"]);
            var ours = Normalise(ourCreate.SetCookies[i], pair.Jar["koa.sid"], pair.Jar["koa.sid.sig"]);
            Assert.Equal(koa, ours);
            Assert.Equal(Attributes(koaCreate.SetCookies[i]).Keys, Attributes(ourCreate.SetCookies[i]).Keys);
            var koaExpires = DateTimeOffset.Parse(Attributes(koaCreate.SetCookies[i])["expires"], System.Globalization.CultureInfo.InvariantCulture);
            var ourExpires = DateTimeOffset.Parse(Attributes(ourCreate.SetCookies[i])["expires"], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange((ourExpires - koaExpires).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(5));
        }
        Assert.Equal("koa.sid=<SID>; path=/; expires=<E>; httponly", Normalise(ourCreate.SetCookies[0], pair.Jar["koa.sid"], pair.Jar["koa.sid.sig"]));

        // Modify: both refresh the pair identically.
        var koaModify = await pair.KoaApp.CreateClient(koaJar).PostAsync("/session/increment");
        var ourModify = await pair.Ours.PutAsync("""{"count":2}""");
        for (var i = 0; i < 2; i++)
            Assert.Equal(Normalise(koaModify.SetCookies[i], koaJar["koa.sid"], koaJar["koa.sid.sig"]), Normalise(ourModify.SetCookies[i], pair.Jar["koa.sid"], pair.Jar["koa.sid.sig"]));

        // Remove: the clearing pair is byte-identical with default options.
        var koaRemove = await pair.KoaApp.CreateClient(koaJar).SendAsync(HttpMethod.Delete, "/session", null, null);
        var ourRemove = await pair.Ours.DeleteAsync();
        Assert.Equal(koaRemove.SetCookies, ourRemove.SetCookies);
        Assert.Equal("koa.sid.sig=4Q4t-o__7Oasf7VtZqUFKLy4m7A; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly", ourRemove.SetCookies[1]);
    }

    [Fact]
    public async Task S6_secure_and_custom_attributes_match_koa()
    {
        var koa = await KoaApp.StartAsync(redis.Port, Keys, new { cookie = new { sameSite = "strict", path = "/" } }, trustProxy: true);
        try
        {
            using var ours = SessionApiFactory.WithRedis(redis, ("Session:Cookie:SameSite", "strict"), ("Session:TrustForwardedProto", "true"));
            var koaJar = new Dictionary<string, string>();
            var ourJar = new Dictionary<string, string>();
            var koaCreate = await koa.CreateClient(koaJar).PostAsync("/session/merge", "{\"a\":1}", r => r.Headers.Add("X-Forwarded-Proto", "https"));
            var ourCreate = await ours.CreateSessionClient(jar: ourJar).PostAsync(json: "{\"a\":1}", configure: r => r.Headers.Add("X-Forwarded-Proto", "https"));
            for (var i = 0; i < 2; i++)
                Assert.Equal(Normalise(koaCreate.SetCookies[i], koaJar["koa.sid"], koaJar["koa.sid.sig"]), Normalise(ourCreate.SetCookies[i], ourJar["koa.sid"], ourJar["koa.sid.sig"]));
            Assert.EndsWith("; samesite=strict; secure; httponly", ourCreate.SetCookies[0]);
        }
        finally
        {
            Assert.Equal(0, await koa.StopAsync());
        }
    }

    [Fact]
    public async Task S7_unusual_json_written_by_koa_survives_a_read_modify_write_here_and_the_reverse()
    {
        await using var pair = await StartAsync();
        const string Unusual = """{"name":"Zoë 😀 <b>&'\"\\","nested":{"list":[1,{"deep":null},"x"],"big":1e21,"tenth":0.1,"small":1e-7,"nul":null},"empty":{},"arr":[]}""";
        var koaCreated = await pair.Koa.PostAsync("/session/merge", Unusual);
        var koaFields = Fields(koaCreated.Json["session"]!.AsObject());

        var read = await pair.Ours.GetAsync();
        var body = read.Json;
        body["added"] = "here";
        Assert.Equal(200, (await pair.Ours.PutAsync(body.ToJsonString())).Status);

        var back = Fields((await pair.Koa.GetAsync("/session")).Json["session"]!.AsObject());
        Assert.Equal("here", back["added"]!.GetValue<string>());
        back.Remove("added");
        Assert.True(JsonNode.DeepEquals(koaFields, back), $"{koaFields.ToJsonString()} != {back.ToJsonString()}");

        // The reverse: written here, modified by Koa, read here.
        pair.Jar.Clear();
        await pair.Ours.PostAsync(json: Unusual);
        await pair.Koa.PostAsync("/session/increment");
        var ours = Fields((await pair.Ours.GetAsync()).Json);
        Assert.Equal(1, ours["count"]!.GetValue<int>());
        ours.Remove("count");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Unusual), ours), ours.ToJsonString());
    }

    [GeneratedRegex(@"expires=[^;]+")]
    private static partial Regex ExpiresRegex();
}
