using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SessionFunctions.Cookies;
using SessionFunctions.Extensibility;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>Custom options and koa's extension points (genSid, valid, beforeSave, sessionIdStore) registered in DI.</summary>
[Collection(RedisCollection.Name)]
public sealed class OptionsAndExtensionPointTests(RedisServer redis)
{
    [Fact]
    public async Task Custom_key_prefix_ttl_and_cookie_options_are_used_throughout()
    {
        using var api = SessionApiFactory.WithRedis(redis,
            ("Session:Key", "my.sid"), ("Session:Prefix", "custom:"), ("Session:Ttl", "60500"),
            ("Session:Cookie:Path", "/api"), ("Session:Cookie:Domain", "example.com"), ("Session:Cookie:SameSite", "Lax"),
            ("Session:Cookie:MaxAge", "60000"));
        var client = api.CreateSessionClient();
        var created = await client.PostAsync(json: """{"a":1}""");
        Assert.Equal(201, created.Status);
        Assert.Equal("""{"cookie":{"httpOnly":true,"path":"/api","overwrite":true,"signed":true,"maxAge":60000,"domain":"example.com","sameSite":"lax"},"a":1}""", created.Body);
        var sid = client.Jar["my.sid"];
        Assert.Matches($@"^my.sid={sid}; path=/api; expires=[^;]+; domain=example.com; samesite=lax; httponly$", created.SetCookie("my.sid"));
        Assert.StartsWith($"my.sid.sig={new Keygrip(["keys"]).Sign("my.sid=" + sid)}; path=/api;", created.SetCookie("my.sid.sig"));
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync("custom:" + sid))!.Value.TotalSeconds, 50, 61);

        Assert.Equal(1, (await client.GetAsync()).Json["a"]!.GetValue<int>());
        var removed = await client.DeleteAsync();
        Assert.Equal("my.sid=; path=/api; expires=Thu, 01 Jan 1970 00:00:00 GMT; domain=example.com; samesite=lax; httponly", removed.SetCookie("my.sid"));
        Assert.False(await redis.Database.KeyExistsAsync("custom:" + sid));
    }

    [Fact]
    public async Task An_empty_prefix_means_no_prefix()
    {
        using var api = SessionApiFactory.WithRedis(redis, ("Session:Prefix", ""));
        var client = api.CreateSessionClient();
        await client.PostAsync(json: "{}");
        Assert.True(await redis.Database.KeyExistsAsync(client.Jar["koa.sid"]));
    }

    [Fact]
    public async Task Rotating_keys_keeps_users_logged_in()
    {
        using var before = SessionApiFactory.WithRedis(redis, ("Session:Keys:0", "old"), ("Session:Keys:1", null));
        var client = before.CreateSessionClient();
        await client.PostAsync(json: """{"nick":"ada"}""");

        using var after = SessionApiFactory.WithRedis(redis, ("Session:Keys:0", "new"), ("Session:Keys:1", "old"));
        var rotated = after.CreateSessionClient();
        foreach (var (name, value) in client.Jar) rotated.Jar[name] = value;
        var response = await rotated.GetAsync();
        Assert.Equal(200, response.Status);
        Assert.Equal(new Keygrip(["new"]).Sign("koa.sid=" + rotated.Jar["koa.sid"]), rotated.Jar["koa.sid.sig"]);
        Assert.Empty((await rotated.GetAsync()).SetCookies);

        using var dropped = SessionApiFactory.WithRedis(redis, ("Session:Keys:0", "new"), ("Session:Keys:1", null));
        var late = dropped.CreateSessionClient();
        foreach (var (name, value) in client.Jar) late.Jar[name] = value;
        Assert.Equal(404, (await late.GetAsync()).Status);
    }

    [Fact]
    public async Task Remember_me_sets_a_30_day_cookie_and_ttl()
    {
        using var api = SessionApiFactory.WithRedis(redis);
        var client = api.CreateSessionClient();
        var response = await client.PostAsync(json: """{"nick":"ada","cookie":{"maxAge":2592000000}}""");
        Assert.Equal(201, response.Status);
        var expires = DateTimeOffset.Parse(response.SetCookie("koa.sid")!.Split("expires=")[1].Split(';')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromDays(30) - TimeSpan.FromSeconds(5), TimeSpan.FromDays(30) + TimeSpan.FromSeconds(1));
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync(SessionKeys.Of(client.Jar["koa.sid"])))!.Value, TimeSpan.FromDays(30) - TimeSpan.FromSeconds(5), TimeSpan.FromDays(30));

        // A later save without `cookie` keeps the 30 days.
        response = await client.PutAsync("""{"nick":"ada","theme":"dark"}""");
        Assert.Equal(2592000000, response.Json["cookie"]!["maxAge"]!.GetValue<long>());

        // A save that changes the cookie object sends, and stores for, the new lifetime: not the one read before the edit.
        response = await client.PutAsync("""{"nick":"ada","cookie":{"maxAge":3600000}}""");
        Assert.Equal(200, response.Status);
        expires = DateTimeOffset.Parse(response.SetCookie("koa.sid")!.Split("expires=")[1].Split(';')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromHours(1) - TimeSpan.FromSeconds(5), TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync(SessionKeys.Of(client.Jar["koa.sid"])))!.Value, TimeSpan.FromHours(1) - TimeSpan.FromSeconds(5), TimeSpan.FromHours(1));
        var idle = DateTimeOffset.Parse(response.Headers.GetValues("Session-Idle-Expires").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(idle - DateTimeOffset.UtcNow, TimeSpan.FromHours(1) - TimeSpan.FromSeconds(5), TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Unicode_nested_and_unusual_numbers_are_stored_and_read_back_as_koa_would_store_them()
    {
        using var api = SessionApiFactory.WithRedis(redis);
        var client = api.CreateSessionClient();
        const string Fields = """{"name":"Zoë 😀 <b>&'","nested":{"list":[1,{"deep":null}],"big":1e21,"tenth":0.1,"neg":-0,"one":1.0}}""";
        // What Koa stores for the same body: JSON.stringify(JSON.parse(body)), numbers printed as JavaScript prints them.
        const string AsKoaStoresIt = """{"name":"Zoë 😀 <b>&'","nested":{"list":[1,{"deep":null}],"big":1e+21,"tenth":0.1,"neg":0,"one":1}}""";
        await client.PostAsync(json: Fields);
        var stored = (string)(await redis.Database.StringGetAsync(SessionKeys.Of(client.Jar["koa.sid"])))!;
        // As JSON.stringify writes it: raw UTF-8, nothing escaped that JSON does not require.
        Assert.Contains("\"name\":\"Zoë 😀 <b>&'\"", stored);
        Assert.EndsWith(AsKoaStoresIt[1..], stored, StringComparison.Ordinal);
        var read = await client.GetAsync();
        Assert.Equal(stored, read.Body);
    }

    [Fact]
    public async Task Extension_points_replace_koa_defaults()
    {
        var validator = new FlagValidator();
        using var api = SessionApiFactory.WithMemory(services =>
        {
            services.AddSingleton<ISessionIdGenerator>(new PrefixedIdGenerator());
            services.AddSingleton<ISessionValidator>(validator);
            services.AddSingleton<IBeforeSessionSave>(new PathStamp());
        });
        var client = api.CreateSessionClient();
        var created = await client.PostAsync(json: """{"a":1}""");
        Assert.StartsWith("custom-", client.Jar["koa.sid"]);
        Assert.Equal("/api/session", created.Json["path"]!.GetValue<string>());

        Assert.Equal(200, (await client.GetAsync()).Status);
        validator.Valid = false;
        var rejected = await client.GetAsync();
        Assert.Equal(404, rejected.Status);
        Assert.Equal(2, rejected.SetCookies.Count);
    }

    [Fact]
    public async Task A_header_session_id_store_can_replace_the_cookie_pair()
    {
        using var api = SessionApiFactory.WithMemory(services => services.AddSingleton<ISessionIdStore>(new HeaderIdStore()));
        var client = api.CreateSessionClient();
        var created = await client.PostAsync(json: """{"a":1}""");
        Assert.Empty(created.SetCookies);
        var token = created.Headers.GetValues("X-Session-Id").Single();
        var read = await client.GetAsync(configure: r => r.Headers.Add("X-Session-Id", token));
        Assert.Equal(1, read.Json["a"]!.GetValue<int>());
    }

    private sealed class PrefixedIdGenerator : ISessionIdGenerator
    {
        public ValueTask<string> GenerateAsync(HttpContext http) => ValueTask.FromResult("custom-" + Guid.NewGuid().ToString("N"));
    }

    private sealed class FlagValidator : ISessionValidator
    {
        public bool Valid { get; set; } = true;

        public bool IsValid(HttpContext http, JsonObject session) => Valid;
    }

    private sealed class PathStamp : IBeforeSessionSave
    {
        public void BeforeSave(HttpContext http, JsonObject session) => session["path"] = http.Request.Path.Value;
    }

    private sealed class HeaderIdStore : ISessionIdStore
    {
        public IncomingSessionId Get(HttpContext http) =>
            http.Request.Headers.TryGetValue("X-Session-Id", out var id) ? new IncomingSessionId(id.ToString()) : IncomingSessionId.None;

        public void Set(HttpContext http, string sessionId, SessionCookie cookie) => http.Response.Headers["X-Session-Id"] = sessionId;

        public void Reset(HttpContext http, SessionCookie cookie) => http.Response.Headers["X-Session-Id"] = "";
    }
}
