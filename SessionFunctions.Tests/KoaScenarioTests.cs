using System.Text.Json.Nodes;
using SessionFunctions.Cookies;
using SessionFunctions.Http;
using SessionFunctions.Tests.Infrastructure;
using StackExchange.Redis;

namespace SessionFunctions.Tests;

/// <summary>
/// What a koa-generic-session 2.3.1 + koa-redis 4.0.1 app does for one request, with default options and
/// app.keys = ['keys','keykeys'], as scenarios A–Z: the status, the Set-Cookie headers and the Redis commands, here
/// through HTTP against a real redis-server (InteropTests checks the same against the real Koa app). Y, koa's
/// ctx.sessionSave, has no REST counterpart. Where the service deliberately differs from koa, the test name says
/// "deviation" and the deviation table in docs/koa-compatibility.md says why.
/// </summary>
/// <remarks>
/// koa's own tests behind the scenarios (koajs/generic-session test/session.test.js unless named): A, B "should GET
/// /session/get ok" and "should GET /session/get second ok"; I, J "should GET /session/remove ok" (the old cookie then
/// gets a new session); L "should set expires= when destroying a session on all session cookies"; M, N "should
/// regenerate existing sessions" and "should regenerate a new session"; V, W test/rolling.test.js "when not modify
/// session and session exists get set-cookie" and "and session not exists don't get set-cookie"; Z, a forced save,
/// test/override.test.js "should force saving unmodified session". koa-redis' test/koa-redis.test.js: "should set with
/// ttl ok" (A) and "should not throw error with bad JSON" (Stored_null_is_no_session_and_other_unreadable_values_are_409_and_keep_the_cookies).
/// </remarks>
[Collection(RedisCollection.Name)]
public sealed class KoaScenarioTests(RedisServer redis) : IDisposable
{
    private const string DefaultCookieJson = """{"httpOnly":true,"path":"/","overwrite":true,"signed":true,"maxAge":86400000}""";
    private const string ExpiresPattern = @"expires=\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT";

    private readonly SessionApiFactory _api = SessionApiFactory.WithRedis(redis);

    public void Dispose() => _api.Dispose();

    private async Task<(SessionClient Client, string Sid)> CreateAsync(string json = """{"count":1}""", SessionApiFactory? api = null)
    {
        var client = (api ?? _api).CreateSessionClient();
        var created = await client.PostAsync(json: json);
        Assert.Equal(201, created.Status);
        return (client, client.Jar["koa.sid"]);
    }

    private static string Signed(string sid, int keyIndex = 0) => new Keygrip([SessionApiFactory.TestKeys[keyIndex]]).Sign("koa.sid=" + sid);

    [Fact]
    public async Task A_a_new_session_is_stored_with_the_cookie_object_and_a_ttl_and_gets_the_signed_pair()
    {
        var client = _api.CreateSessionClient();
        await _api.LoadRedisScriptsAsync();
        var (response, commands) = await redis.WithCommandCountsAsync(() => client.PostAsync(json: """{"count":1}"""));
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["time"] = 1, ["set"] = 1 }, commands);
        Assert.Equal(201, response.Status);
        Assert.Equal($$"""{"cookie":{{DefaultCookieJson}},"count":1}""", response.Body);
        Assert.Equal(2, response.SetCookies.Count);
        Assert.Matches($"^koa.sid=[A-Za-z0-9_-]{{32}}; path=/; {ExpiresPattern}; httponly$", response.SetCookies[0]);
        var sid = client.Jar["koa.sid"];
        Assert.Equal($"koa.sid.sig={Signed(sid)}{response.SetCookies[0][(response.SetCookies[0].IndexOf(';'))..]}", response.SetCookies[1]);
        var expires = DateTimeOffset.Parse(response.SetCookies[0].Split("expires=")[1].Split(';')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(86390), TimeSpan.FromSeconds(86401));
        Assert.Equal($$"""{"cookie":{{DefaultCookieJson}},"count":1}""", (string?)await redis.Database.StringGetAsync(SessionKeys.Of(sid)));
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync(SessionKeys.Of(sid)))!.Value.TotalSeconds, 86390, 86400);
    }

    [Fact]
    public async Task B_a_modified_session_is_written_and_the_pair_is_refreshed()
    {
        var (client, sid) = await CreateAsync();
        await _api.LoadRedisScriptsAsync();
        var (response, commands) = await redis.WithCommandCountsAsync(() => client.PutAsync("""{"count":2}"""));
        Assert.Equal(200, response.Status);
        // Deviation: koa reads, then writes (GET + SETEX). This instance remembers the session it created, so the save is
        // one round trip: a compare-and-set script that writes only if the store still holds what it remembers (EVALSHA;
        // Redis also counts the GET and SET it runs inside). Without that memory a GET comes first (RedisCommandCountTests).
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["time"] = 1, ["get"] = 1, ["set"] = 1 }, commands);
        Assert.Matches($"^koa.sid={sid}; path=/; {ExpiresPattern}; httponly$", response.SetCookie("koa.sid"));
        Assert.StartsWith($"koa.sid.sig={Signed(sid)}; path=/; expires=", response.SetCookie("koa.sid.sig"));
        Assert.Equal(2, JsonNode.Parse((string)(await redis.Database.StringGetAsync(SessionKeys.Of(sid)))!)!["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task C_an_unchanged_session_is_only_read()
    {
        var (client, _) = await CreateAsync();
        var ((get, put), commands) = await redis.WithCommandCountsAsync(async () => (await client.GetAsync(), await client.PutAsync("""{"count":1}""")));
        Assert.Equal(new Dictionary<string, long> { ["get"] = 2 }, commands);
        Assert.Equal(200, get.Status);
        Assert.Equal(200, put.Status);
        Assert.Empty(get.SetCookies);
        Assert.Empty(put.SetCookies);
        Assert.Equal($$"""{"cookie":{{DefaultCookieJson}},"count":1}""", get.Body);
    }

    [Fact]
    public async Task D_no_cookie_means_no_session_no_store_access_and_no_cookie()
    {
        var client = _api.CreateSessionClient();
        var (response, commands) = await redis.WithCommandCountsAsync(() => client.GetAsync());
        Assert.Empty(commands);
        Assert.Equal(404, response.Status);
        Assert.Equal(SessionProblem.NotFound.Type, response.ProblemType);
        Assert.Empty(response.SetCookies);
    }

    [Fact]
    public async Task E_a_bad_signature_is_treated_as_no_cookie_and_deviation_both_cookies_are_cleared()
    {
        var (client, sid) = await CreateAsync();
        client.Jar["koa.sid.sig"] = "JNCYgVMDdfX6JzXqYq_m54hTjTE";
        var (response, commands) = await redis.WithCommandCountsAsync(() => client.GetAsync());
        Assert.Empty(commands);
        Assert.Equal(404, response.Status);
        Assert.Equal("koa.sid=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly", response.SetCookie("koa.sid"));
        Assert.Equal("koa.sid.sig=4Q4t-o__7Oasf7VtZqUFKLy4m7A; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly", response.SetCookie("koa.sid.sig"));
        Assert.True(await redis.Database.KeyExistsAsync(SessionKeys.Of(sid)), "a forged request must not touch the real session");
    }

    [Fact]
    public async Task F_a_sid_without_signature_is_no_session()
    {
        var (client, sid) = await CreateAsync();
        client.Jar.Remove("koa.sid.sig");
        var (response, commands) = await redis.WithCommandCountsAsync(() => client.GetAsync());
        Assert.Empty(commands);
        Assert.Equal(404, response.Status);
        Assert.True(await redis.Database.KeyExistsAsync(SessionKeys.Of(sid)));
    }

    [Fact]
    public async Task G_a_signature_made_with_an_older_key_is_accepted_and_re_signed_with_the_first_key()
    {
        var (client, sid) = await CreateAsync();
        client.Jar["koa.sid.sig"] = Signed(sid, keyIndex: 1);
        var (response, commands) = await redis.WithCommandCountsAsync(() => client.GetAsync());
        Assert.Equal(new Dictionary<string, long> { ["get"] = 1 }, commands);
        Assert.Equal(200, response.Status);
        // Deviation: koa re-signs .sig alone, as a browser-session cookie at path /, which the browser drops on restart
        // while koa.sid lives on; the pair is re-issued here with the session's own attributes.
        Assert.Matches($"^koa.sid.sig={Signed(sid)}; path=/; {ExpiresPattern}; httponly$", response.SetCookie("koa.sid.sig"));
        Assert.Matches($"^koa.sid={sid}; path=/; {ExpiresPattern}; httponly$", response.SetCookie("koa.sid"));
        Assert.Equal(200, (await client.GetAsync()).Status);
    }

    [Fact]
    public async Task H_a_quoted_cookie_value_is_unquoted()
    {
        var (client, sid) = await CreateAsync();
        client.Jar["koa.sid"] = $"\"{sid}\"";
        var response = await client.GetAsync();
        Assert.Equal(200, response.Status);
        Assert.Equal(1, response.Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task I_a_valid_cookie_whose_session_is_gone_gets_no_session_and_the_clearing_pair()
    {
        var (client, sid) = await CreateAsync();
        await redis.Database.KeyDeleteAsync(SessionKeys.Of(sid));
        var (response, commands) = await redis.WithCommandCountsAsync(() => client.GetAsync());
        Assert.Equal(new Dictionary<string, long> { ["get"] = 1 }, commands);
        Assert.Equal(404, response.Status);
        Assert.Equal(
            ["koa.sid=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly",
             "koa.sid.sig=4Q4t-o__7Oasf7VtZqUFKLy4m7A; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly"],
            response.SetCookies);
    }

    [Fact]
    public async Task J_saving_over_a_vanished_session_creates_a_new_id_and_sends_only_the_new_pair()
    {
        var (client, sid) = await CreateAsync();
        await redis.Database.KeyDeleteAsync(SessionKeys.Of(sid));
        await _api.LoadRedisScriptsAsync();
        var (response, commands) = await redis.WithCommandCountsAsync(() => client.PutAsync("""{"count":5}"""));
        // The compare-and-set of the remembered session finds no key and writes nothing (EVALSHA and its GET), which is
        // all a read would have said; the new session is created (SET … NX).
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 2, ["time"] = 2, ["get"] = 1, ["set"] = 1 }, commands);
        Assert.Equal(201, response.Status);
        Assert.Equal(2, response.SetCookies.Count);
        var newSid = client.Jar["koa.sid"];
        Assert.NotEqual(sid, newSid);
        Assert.False(await redis.Database.KeyExistsAsync(SessionKeys.Of(sid)), "a client-supplied id is never adopted");
        Assert.True(await redis.Database.KeyExistsAsync(SessionKeys.Of(newSid)));
    }

    [Fact]
    public async Task K_expires_drives_the_ttl_while_max_age_drives_the_cookie()
    {
        var (client, sid) = await CreateAsync();
        var expires = DateTimeOffset.UtcNow.AddSeconds(5);
        var response = await client.PutAsync($$$"""{"count":1,"cookie":{"expires":"{{{SessionCookie.FormatDate(expires)}}}"}}""");
        Assert.Equal(200, response.Status);
        Assert.Equal(SessionCookie.FormatDate(expires), response.Json["cookie"]!["expires"]!.GetValue<string>());
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync(SessionKeys.Of(sid)))!.Value.TotalSeconds, 3, 5);
        var cookieExpires = DateTimeOffset.Parse(response.SetCookie("koa.sid")!.Split("expires=")[1].Split(';')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(cookieExpires - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(86390), TimeSpan.FromSeconds(86401));
    }

    [Fact]
    public async Task L_remove_deletes_with_one_command_and_clears_both_cookies()
    {
        var (client, sid) = await CreateAsync();
        await _api.LoadRedisScriptsAsync();
        var (response, commands) = await redis.WithCommandCountsAsync(() => client.DeleteAsync());
        // Deviation: koa reads before it deletes; a remove needs no read.
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["time"] = 1, ["del"] = 1 }, commands);
        Assert.Equal(204, response.Status);
        Assert.Equal("", response.Body);
        Assert.Equal(2, response.SetCookies.Count);
        Assert.All(response.SetCookies, h => Assert.Contains("expires=Thu, 01 Jan 1970 00:00:00 GMT;", h));
        Assert.False(await redis.Database.KeyExistsAsync(SessionKeys.Of(sid)));
        Assert.Equal(204, (await client.DeleteAsync()).Status);
    }

    [Fact]
    public async Task M_regenerate_with_data_deletes_the_old_key_and_stores_the_new_one()
    {
        var (client, sid) = await CreateAsync();
        var oldCookies = new Dictionary<string, string>(client.Jar);
        await _api.LoadRedisScriptsAsync();
        var (response, commands) = await redis.WithCommandCountsAsync(() => client.RegenerateAsync("""{"nick":"ada"}"""));
        // Read the old session, store the new one (EVALSHA, running SET … NX), then delete the old one only if it still
        // holds what was copied (EVALSHA, running GET and DEL); each script checks its deadline with TIME first.
        Assert.Equal(new Dictionary<string, long> { ["get"] = 2, ["set"] = 1, ["evalsha"] = 2, ["time"] = 2, ["del"] = 1 }, commands);
        Assert.Equal(200, response.Status);
        Assert.Equal($$"""{"cookie":{{DefaultCookieJson}},"nick":"ada"}""", response.Body);
        Assert.Equal(2, response.SetCookies.Count);
        var newSid = client.Jar["koa.sid"];
        Assert.NotEqual(sid, newSid);
        Assert.False(await redis.Database.KeyExistsAsync(SessionKeys.Of(sid)));

        var old = _api.CreateSessionClient();
        foreach (var (name, value) in oldCookies) old.Jar[name] = value;
        Assert.Equal(404, (await old.GetAsync()).Status);
    }

    [Fact]
    public async Task N_regenerate_without_a_body_keeps_the_data_and_deviation_bug_110_identical_data_is_still_saved()
    {
        var (client, sid) = await CreateAsync("""{"nick":"ada"}""");
        var response = await client.RegenerateAsync();
        Assert.Equal(200, response.Status);
        Assert.Equal("ada", response.Json["nick"]!.GetValue<string>());
        var first = client.Jar["koa.sid"];
        Assert.NotEqual(sid, first);

        // koa bug #110: regenerating to the same data saves nothing and logs the user out.
        response = await client.RegenerateAsync("""{"nick":"ada"}""");
        Assert.Equal(200, response.Status);
        Assert.NotEqual(first, client.Jar["koa.sid"]);
        Assert.Equal("ada", (await client.GetAsync()).Json["nick"]!.GetValue<string>());
    }

    [Fact]
    public async Task O_max_age_zero_gives_a_browser_session_cookie_and_deviation_a_bounded_ttl()
    {
        var (client, sid) = await CreateAsync();
        var response = await client.PutAsync("""{"count":1,"cookie":{"maxAge":0}}""");
        Assert.Equal(200, response.Status);
        Assert.Equal($"koa.sid={sid}; path=/; httponly", response.SetCookie("koa.sid"));
        Assert.Equal($"koa.sid.sig={Signed(sid)}; path=/; httponly", response.SetCookie("koa.sid.sig"));
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync(SessionKeys.Of(sid)))!.Value.TotalSeconds, 86390, 86400);

        response = await client.PutAsync("""{"count":1,"cookie":{"maxAge":null}}""");
        Assert.Equal(200, response.Status);
        Assert.Null(response.Json["cookie"]!["maxAge"]);
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync(SessionKeys.Of(sid)))!.Value.TotalSeconds, 86390, 86400);
    }

    [Theory]
    [InlineData(-500)]
    [InlineData(-5000)]
    public async Task P_Q_deviation_a_negative_max_age_is_bad_input(int maxAge)
    {
        var (client, sid) = await CreateAsync();
        var before = (string?)await redis.Database.StringGetAsync(SessionKeys.Of(sid));
        var response = await client.PutAsync($$$"""{"count":9,"cookie":{"maxAge":{{{maxAge}}}}}""");
        Assert.Equal(400, response.Status);
        Assert.Equal(SessionProblem.InvalidCookie.Type, response.ProblemType);
        Assert.Empty(response.SetCookies);
        Assert.Equal(before, (string?)await redis.Database.StringGetAsync(SessionKeys.Of(sid)));
    }

    [Fact]
    public async Task R_S_deviation_replacing_the_fields_keeps_the_cookie_so_the_session_stays_signed_and_expiring()
    {
        var (client, sid) = await CreateAsync();
        var response = await client.PutAsync("""{"foo":"bar"}""");
        Assert.Equal(200, response.Status);
        Assert.Equal($$"""{"cookie":{{DefaultCookieJson}},"foo":"bar"}""", response.Body);
        Assert.NotNull(response.SetCookie("koa.sid.sig"));
        Assert.True((await redis.Database.KeyTimeToLiveAsync(SessionKeys.Of(sid))).HasValue);
    }

    [Fact]
    public async Task S_a_stored_session_without_a_cookie_object_is_read_and_saved_with_the_configured_cookie()
    {
        var client = _api.CreateSessionClient();
        await redis.Database.StringSetAsync(SessionKeys.Of("csharp2"), """{"count":5}""");
        client.Jar["koa.sid"] = "csharp2";
        client.Jar["koa.sid.sig"] = Signed("csharp2");
        var read = await client.GetAsync();
        Assert.Equal(200, read.Status);
        Assert.Equal(5, read.Json["count"]!.GetValue<int>());
        var saved = await client.PutAsync("""{"count":6}""");
        Assert.Equal(200, saved.Status);
        Assert.NotNull(saved.SetCookie("koa.sid.sig"));
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync(SessionKeys.Of("csharp2")))!.Value.TotalSeconds, 86390, 86400);
        Assert.Equal(DefaultCookieJson, JsonNode.Parse((string)(await redis.Database.StringGetAsync(SessionKeys.Of("csharp2")))!)!["cookie"]!.ToJsonString());
    }

    [Fact]
    public async Task T_secure_is_automatic_over_https_and_behind_a_trusted_proxy_only()
    {
        using var https = _api.CreateSessionClient("https://localhost");
        var response = await https.PostAsync(json: "{}");
        Assert.EndsWith("; secure; httponly", response.SetCookie("koa.sid"));
        Assert.EndsWith("; secure; httponly", response.SetCookie("koa.sid.sig"));

        var plain = _api.CreateSessionClient();
        response = await plain.PostAsync(json: "{}", configure: r => r.Headers.Add("X-Forwarded-Proto", "https"));
        Assert.DoesNotContain("secure", response.SetCookie("koa.sid"));

        using var proxied = SessionApiFactory.WithRedis(redis, ("Session:TrustForwardedProto", "true"));
        response = await proxied.CreateSessionClient().PostAsync(json: "{}", configure: r => r.Headers.Add("X-Forwarded-Proto", "https, http"));
        Assert.EndsWith("; secure; httponly", response.SetCookie("koa.sid"));
    }

    [Fact]
    public async Task U_secure_true_over_plain_http_is_bad_input_and_nothing_is_stored()
    {
        var (client, sid) = await CreateAsync();
        var response = await client.PutAsync("""{"count":2,"cookie":{"secure":true}}""");
        Assert.Equal(400, response.Status);
        Assert.Equal(SessionProblem.InvalidCookie.Type, response.ProblemType);
        Assert.Equal(1, JsonNode.Parse((string)(await redis.Database.StringGetAsync(SessionKeys.Of(sid)))!)!["count"]!.GetValue<int>());

        using var https = _api.CreateSessionClient("https://localhost");
        await https.PostAsync(json: "{}");
        response = await https.PutAsync("""{"count":2,"cookie":{"secure":true,"sameSite":"none"}}""");
        Assert.Equal(200, response.Status);
        Assert.EndsWith("; samesite=none; secure; httponly", response.SetCookie("koa.sid"));
    }

    [Fact]
    public async Task V_W_rolling_refreshes_an_existing_session_on_read_and_deviation_with_one_getex_but_never_creates_one()
    {
        using var rolling = SessionApiFactory.WithRedis(redis, ("Session:Rolling", "true"));
        var (client, sid) = await CreateAsync(api: rolling);
        await redis.Database.KeyExpireAsync(SessionKeys.Of(sid), TimeSpan.FromSeconds(100));
        var (response, commands) = await redis.WithCommandCountsAsync(() => client.GetAsync());
        // Deviation: koa re-saves the session it read (GET + SETEX); here the read resets the TTL and writes no value.
        Assert.Equal(new Dictionary<string, long> { ["getex"] = 1 }, commands);
        Assert.Equal(2, response.SetCookies.Count);
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync(SessionKeys.Of(sid)))!.Value.TotalSeconds, 86390, 86400);

        var fresh = rolling.CreateSessionClient();
        (response, commands) = await redis.WithCommandCountsAsync(() => fresh.GetAsync());
        Assert.Empty(commands);
        Assert.Equal(404, response.Status);
        Assert.Empty(response.SetCookies);
    }

    [Fact]
    public async Task X_allow_empty_stores_an_untouched_new_session_and_without_it_nothing_is_stored()
    {
        var client = _api.CreateSessionClient();
        var (response, commands) = await redis.WithCommandCountsAsync(() => client.PutAsync("{}"));
        Assert.Empty(commands);
        Assert.Equal(200, response.Status);
        Assert.Empty(response.SetCookies);

        await _api.LoadRedisScriptsAsync();
        using var allowEmpty = SessionApiFactory.WithRedis(redis, ("Session:AllowEmpty", "true"));
        var empty = allowEmpty.CreateSessionClient();
        (response, commands) = await redis.WithCommandCountsAsync(() => empty.PutAsync("{}"));
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["time"] = 1, ["set"] = 1 }, commands);
        Assert.Equal(201, response.Status);
        Assert.Equal($$"""{"cookie":{{DefaultCookieJson}}}""", (string?)await redis.Database.StringGetAsync(SessionKeys.Of(empty.Jar["koa.sid"])));
    }

    [Fact]
    public async Task Z_create_always_stores_even_an_empty_session_and_replaces_the_current_one()
    {
        var (client, sid) = await CreateAsync();
        await _api.LoadRedisScriptsAsync();
        var (response, commands) = await redis.WithCommandCountsAsync(() => client.PostAsync());
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 2, ["time"] = 2, ["del"] = 1, ["set"] = 1 }, commands);
        Assert.Equal(201, response.Status);
        Assert.Equal($$"""{"cookie":{{DefaultCookieJson}}}""", response.Body);
        Assert.False(await redis.Database.KeyExistsAsync(SessionKeys.Of(sid)));
        Assert.True(await redis.Database.KeyExistsAsync(SessionKeys.Of(client.Jar["koa.sid"])));
    }

    [Fact]
    public async Task Any_incoming_id_without_a_semicolon_is_accepted_whatever_its_length()
    {
        foreach (var sid in new[] { "x", "bGX1r5jcQHX4CqO1Heiy_DLvkTpQvx3M?test_sid_append", new string('a', 300) })
        {
            await redis.Database.StringSetAsync(SessionKeys.Of(sid), $$"""{"cookie":{{DefaultCookieJson}},"n":1}""", TimeSpan.FromMinutes(1));
            var client = _api.CreateSessionClient();
            client.Jar["koa.sid"] = sid;
            client.Jar["koa.sid.sig"] = Signed(sid);
            Assert.Equal(1, (await client.GetAsync()).Json["n"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task A_session_past_its_stored_expires_is_no_session()
    {
        var past = SessionCookie.FormatDate(DateTimeOffset.UtcNow.AddMinutes(-1));
        await redis.Database.StringSetAsync(SessionKeys.Of("expired1"), $$"""{"cookie":{"httpOnly":true,"path":"/","maxAge":null,"expires":"{{past}}"},"n":1}""", TimeSpan.FromMinutes(1));
        var client = _api.CreateSessionClient();
        client.Jar["koa.sid"] = "expired1";
        client.Jar["koa.sid.sig"] = Signed("expired1");
        Assert.Equal(404, (await client.GetAsync()).Status);
    }

    [Fact]
    public async Task Stored_null_is_no_session_and_other_unreadable_values_are_409_and_keep_the_cookies()
    {
        // koa-redis reads bad JSON as no session too, and koa then starts a new one; here the value may be the Koa app's
        // session, which a cleared shared cookie would log out of both apps (docs/hostile-clients.md, M3). JSON.parse
        // reads "null" as null, which is no session for koa-generic-session as well.
        foreach (var (sid, value, status) in new[] { ("bad1", "{I will cause an error!}", 409), ("bad2", "null", 404), ("bad3", "[1,2]", 409), ("bad4", "5", 409) })
        {
            await redis.Database.StringSetAsync(SessionKeys.Of(sid), value, TimeSpan.FromMinutes(1));
            var client = _api.CreateSessionClient();
            client.Jar["koa.sid"] = sid;
            client.Jar["koa.sid.sig"] = Signed(sid);
            var response = await client.GetAsync();
            Assert.Equal(status, response.Status);
            Assert.Equal(status == 404 ? 2 : 0, response.SetCookies.Count);
            Assert.Equal(value, (string?)await redis.Database.StringGetAsync(SessionKeys.Of(sid)));
        }
    }
}
