using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using SessionFunctions.Configuration;
using SessionFunctions.Http;
using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;
using SessionFunctions.UserIndex;

namespace SessionFunctions.Tests;

/// <summary>
/// Regressions of an attack round against the standalone server (docs/hostile-clients.md): each test holds one finding's
/// fix, through HTTP.
/// </summary>
public sealed class HostileClientTests : IDisposable
{
    private static readonly (string, string?) UserIdPath = ("Session:UserIdPath", "/user/id");

    // The index needs a verified login; these tests log in by writing the user id, as a client could before.
    private static readonly (string, string?) TrustClients = ("Session:DangerouslyTrustClientsWithUserId", "true");

    private readonly SessionApiFactory _api = SessionApiFactory.WithMemory(UserIdPath, TrustClients);

    public void Dispose() => _api.Dispose();

    private async Task<SessionClient> LoginAsync(string user)
    {
        var client = _api.CreateSessionClient();
        var login = await client.PostAsync(json: $$$"""{"user":{"id":"{{{user}}}"}}""");
        Assert.True(login.Status == 201, $"login answered {login.Status}: {login.Body}");
        return client;
    }

    private static void AssertProblem(SessionResponse response, int status, string type)
    {
        Assert.True(response.Status == status, $"{response.Status}: {response.Body}");
        Assert.Equal("application/problem+json", response.ContentType?.MediaType);
        Assert.Equal(type, response.ProblemType);
    }

    // M4: the routers also match a trailing-slash variant, where an empty handle signed the user out everywhere.
    [Theory]
    [InlineData("/api/session/all/")]
    [InlineData("/api/session/all/?handle={handle}")]
    [InlineData("/api/session/all?handle={handle}")]
    [InlineData("/api/session/others/")]
    [InlineData("/api/session/")]
    [InlineData("/api/session/all//")]
    public async Task M4_an_empty_or_query_handle_signs_out_nothing(string path)
    {
        using var laptop = await LoginAsync("ada");
        using var phone = await LoginAsync("ada");
        var before = (await laptop.GetAsync("/api/session/all")).Json["sessions"]!.AsArray();
        Assert.Equal(2, before.Count);
        var handle = before[1]!["handle"]!.GetValue<string>();

        var response = await laptop.SendAsync(HttpMethod.Delete, path.Replace("{handle}", handle, StringComparison.Ordinal), null, null);

        Assert.Equal(404, response.Status);
        Assert.Equal("application/problem+json", response.ContentType?.MediaType);
        Assert.Empty(response.SetCookies);
        Assert.Equal(200, (await laptop.GetAsync()).Status);
        Assert.Equal(200, (await phone.GetAsync()).Status);
        Assert.Equal(2, (await laptop.GetAsync("/api/session/all")).Json["sessions"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("PUT", "/api/session/")]
    [InlineData("PATCH", "/api/session/")]
    [InlineData("POST", "/api/session/regenerate/")]
    public async Task M4_no_write_route_matches_its_trailing_slash_variant(string method, string path)
    {
        using var client = await LoginAsync("ada");
        var before = (await client.GetAsync()).Body;
        var response = await client.SendAsync(new HttpMethod(method), path, """{"user":{"id":"eve"}}""", null);
        AssertProblem(response, 404, SessionProblem.RouteNotFound.Type);
        Assert.Equal(before, (await client.GetAsync()).Body);
    }

    // L1: HEAD is GET without the body (RFC 9110 §9.3.2); it answered 405 everywhere.
    [Theory]
    [InlineData("/api/session")]
    [InlineData("/api/session/all")]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task L1_HEAD_answers_wherever_GET_does(string path)
    {
        using var client = await LoginAsync("ada");
        var get = await client.GetAsync(path);
        var head = await client.SendAsync(HttpMethod.Head, path, null, null);
        Assert.Equal(200, get.Status);
        Assert.Equal(get.Status, head.Status);
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Equal(get.Headers.CacheControl?.ToString(), head.Headers.CacheControl?.ToString());
    }

    [Theory]
    [InlineData("PUT", "/api/session/all", "GET, HEAD, DELETE")]
    [InlineData("HEAD", "/api/session/regenerate", "POST")]
    [InlineData("POST", "/api/session/others", "DELETE")]
    public async Task L1_Allow_lists_HEAD_where_GET_is(string method, string path, string allow)
    {
        using var client = _api.CreateClient();
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(405, (int)response.StatusCode);
        Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
    }

    // L5: strong comparison is octet by octet; an empty If-Match must not make the write unconditional.
    [Fact]
    public async Task L5_If_Match_is_compared_octet_by_octet()
    {
        using var client = await LoginAsync("ada");
        var etag = (await client.GetAsync()).Headers.ETag!.Tag;
        var response = await client.PutAsync("""{"n":1}""", configure: r => r.Headers.TryAddWithoutValidation("If-Match", etag.ToUpperInvariant()));
        AssertProblem(response, 412, SessionProblem.PreconditionFailed.Type);
        Assert.Equal(200, (await client.PutAsync("""{"n":1}""", configure: r => r.Headers.TryAddWithoutValidation("If-Match", etag))).Status);
    }

    // An empty list (HttpClient sends no header for "", so " " stands for it): ConditionalRequestTests held "," as 412 before.
    [Theory]
    [InlineData(" ")]
    [InlineData(",")]
    [InlineData(" , ")]
    public async Task L5_an_empty_If_Match_is_400_and_writes_nothing(string value)
    {
        using var client = await LoginAsync("ada");
        var before = (await client.GetAsync()).Body;
        var response = await client.PutAsync("""{"n":1}""", configure: r => r.Headers.TryAddWithoutValidation("If-Match", value));
        AssertProblem(response, 400, SessionProblem.BadRequest.Type);
        Assert.Equal(before, (await client.GetAsync()).Body);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("POST")]
    [InlineData("DELETE")]
    public async Task L5_If_None_Match_on_a_write_is_400_and_writes_nothing(string method)
    {
        using var client = await LoginAsync("ada");
        var before = (await client.GetAsync()).Body;
        var response = await client.SendAsync(new HttpMethod(method), "/api/session", method == "DELETE" ? null : """{"n":1}""",
            r =>
            {
                r.Headers.TryAddWithoutValidation("If-None-Match", "*");
                if (method == "PATCH") r.Content!.Headers.ContentType = new("application/merge-patch+json");
            });
        AssertProblem(response, 400, SessionProblem.BadRequest.Type);
        Assert.Equal(before, (await client.GetAsync()).Body);
    }

    // M1: the user index was unbounded: every login under one id added a member that a listing read, and a sign-out
    // signed out, one by one. Session:MaxSessionsPerUser (50) now signs out the least recently seen at each login past it.
    [Fact]
    public async Task M1_twenty_thousand_logins_under_one_id_leave_at_most_the_bound_live_and_the_list_bounded()
    {
        const int Logins = 20_000, Bound = SessionApiDefaults.MaxSessionsPerUser;
        var store = (MemorySessionStore)_api.Services.GetRequiredService<ISessionStore>();
        var index = SessionKeys.IndexOfUser("mallory");
        using var device = _api.CreateSessionClient();
        var started = DateTimeOffset.UtcNow;
        for (var i = 0; i < Logins && DateTimeOffset.UtcNow - started < TimeSpan.FromMinutes(5); i++)
        {
            device.Jar.Clear(); // a new device each time: nothing is replaced, every login adds a session
            var login = await device.PostAsync(json: """{"user":{"id":"mallory"}}""");
            Assert.True(login.Status == 201, $"login {i} answered {login.Status}: {login.Body}");
            if (i % 1000 == 999) Assert.InRange(store.Count, 1, Bound);
        }

        Assert.Equal(Bound, store.Count);
        Assert.Equal(Bound, (await ((ISessionUserIndexStore)store).MembersAsync(index, int.MaxValue, default)).Total);
        var listed = (await device.GetAsync("/api/session/all")).Json["sessions"]!.AsArray();
        Assert.Equal(Bound, listed.Count);
    }

    [Fact]
    public async Task M1_logins_at_once_leave_the_bound_over_by_less_than_their_number_until_the_next_login()
    {
        // A login stamps its last-seen time just before its index add. When logins race, one can reach the index later
        // than its time says, be picked by another as the least recently seen while its session is not stored yet, and be
        // left alone (add before store: it may be about to live). The index is then over by one, until the next login.
        const int Devices = 8, Rounds = 50, Bound = SessionApiDefaults.MaxSessionsPerUser;
        var store = (MemorySessionStore)_api.Services.GetRequiredService<ISessionStore>();
        await Task.WhenAll(Enumerable.Range(0, Devices).Select(_ => Task.Run(async () =>
        {
            using var device = _api.CreateSessionClient();
            for (var i = 0; i < Rounds; i++)
            {
                device.Jar.Clear();
                var login = await device.PostAsync(json: """{"user":{"id":"mallory"}}""");
                Assert.True(login.Status == 201, $"login answered {login.Status}: {login.Body}");
            }
        })));
        Assert.InRange(store.Count, Bound, Bound + Devices - 1);

        using var next = await LoginAsync("mallory");

        Assert.Equal(Bound, store.Count);
        Assert.Equal(Bound, (await next.GetAsync("/api/session/all")).Json["sessions"]!.AsArray().Count);
    }

    [Fact]
    public async Task M1_an_index_that_grew_before_the_bound_is_listed_reading_no_more_than_the_bound_and_a_small_slack()
    {
        using var store = new ScriptedSessionStore(TimeProvider.System);
        using var api = SessionApiFactory.WithMemory(services => services.AddSingleton<ISessionStore>(store), UserIdPath, TrustClients);
        using var device = api.CreateSessionClient();
        Assert.Equal(201, (await device.PostAsync(json: """{"user":{"id":"legacy"}}""")).Status);
        // 1,000 live sessions of one user, indexed before there was a bound.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < 1_000; i++)
        {
            var sid = "legacy-" + i;
            store[SessionKeys.Of(sid)] = """{"cookie":{"httpOnly":true,"path":"/","overwrite":true,"signed":true,"maxAge":86400000},"user":{"id":"legacy"}}""";
            await ((ISessionUserIndexStore)store).IndexAsync(SessionKeys.IndexOfUser("legacy"),
                new UserIndexJoin(sid, new UserIndexEntry(now - 10_000 + i, now - 10_000 + i, "old"), TimeSpan.FromHours(1)), DateTimeOffset.MaxValue, default);
        }
        store.Calls.Clear();

        var list = await device.GetAsync("/api/session/all");

        Assert.Equal(200, list.Status);
        const int Limit = SessionApiDefaults.MaxSessionsPerUser + UserSessionIndex.ListingSlack;
        Assert.InRange(list.Json["sessions"]!.AsArray().Count, 1, Limit + 1);
        // This session's own read, then one per member read.
        Assert.InRange(store.Calls.Count(c => c == "get"), 1, Limit + 1);
    }

    [Fact]
    public async Task M1_a_sign_out_completes_while_logins_keep_arriving_from_elsewhere()
    {
        using var laptop = await LoginAsync("ada");
        using var phone = await LoginAsync("ada");
        using var tablet = await LoginAsync("ada");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var logins = 0;
        // Eight devices elsewhere log in again and again, each login a new session that replaces the device's last one,
        // throughout the sign-out. Under the old rule (every new member is news, four listings with news answer 409) this
        // answered 409 in about one run in three here; SignOutRaceTests.Logins_from_elsewhere_during_a_sign_out_do_not_hold_it_up_and_what_it_listed_first_goes
        // puts a login before every listing, and fails under the old rule every time.
        var flood = Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            using var elsewhere = _api.CreateSessionClient();
            while (!stop.IsCancellationRequested && Volatile.Read(ref logins) < 100_000)
            {
                var login = await elsewhere.PostAsync(json: """{"user":{"id":"ada"}}""");
                Assert.True(login.Status == 201, $"login answered {login.Status}: {login.Body}");
                Interlocked.Increment(ref logins);
            }
        })));
        while (Volatile.Read(ref logins) < 20 && !flood.IsCompleted) await Task.Delay(5);
        var before = Volatile.Read(ref logins);

        var signOut = await laptop.SendAsync(HttpMethod.Delete, "/api/session/others", null, null);

        var after = Volatile.Read(ref logins);
        await stop.CancelAsync();
        await flood;
        Assert.True(before >= 20 && after > before, $"no login arrived during the sign-out: {before} before it, {after} after it");
        Assert.True(signOut.Status == 204, $"{signOut.Status}: {signOut.Body}");
        Assert.Equal(200, (await laptop.GetAsync()).Status);
        Assert.Equal(404, (await phone.GetAsync()).Status);
        Assert.Equal(404, (await tablet.GetAsync()).Status);
    }

    // L4: a client label kept format characters (Unicode Cf): U+202E turned "Laptop" around in the list, and U+200B
    // made two labels that look alike differ, so one device could pass for another.
    [Fact]
    public async Task L4_a_client_label_drops_format_and_control_characters()
    {
        using var client = _api.CreateSessionClient();
        var login = await client.PostAsync(json: """{"user":{"id":"ada"}}""",
            configure: r => r.Headers.TryAddWithoutValidation("Session-Client-Label", "\u202EpotpaL\u202C\u200B \u2066Pro\uFEFF\u0007"));
        Assert.Equal(201, login.Status);

        var label = (await client.GetAsync("/api/session/all")).Json["sessions"]![0]!["label"]!.GetValue<string>();

        Assert.Equal("potpaL Pro", label);
        Assert.DoesNotContain(label, c => char.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.Control);
    }

    // L6: a PATCH with the wrong media type got PUT's title.
    [Fact]
    public async Task L6_a_PATCH_with_the_wrong_media_type_gets_its_own_title()
    {
        using var client = await LoginAsync("ada");
        var response = await client.SendAsync(HttpMethod.Patch, "/api/session", """{"n":1}""", null);
        AssertProblem(response, 415, SessionProblem.UnsupportedMediaType.Type);
        Assert.Contains("application/merge-patch+json", response.Json["title"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}

/// <summary>
/// M3: a session Koa stored must stay readable here as long as Koa's <c>JSON.parse</c> reads it; a value that is not,
/// is answered 409 <c>session-unreadable</c>, and neither it nor the shared cookies are touched.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class HostileStoredValueTests(RedisServer redis) : IDisposable
{
    private const string CookieJson = """{"httpOnly":true,"path":"/","overwrite":true,"signed":true,"maxAge":86400000}""";

    private readonly SessionApiFactory _api = SessionApiFactory.WithRedis(redis);

    public void Dispose() => _api.Dispose();

    /// <summary>A client with a session, whose stored value is then replaced by <paramref name="stored"/>, as Koa could have written it.</summary>
    private async Task<SessionClient> WithStoredAsync(string stored)
    {
        var client = _api.CreateSessionClient();
        Assert.Equal(201, (await client.PostAsync(json: """{"n":0}""")).Status);
        await redis.Database.StringSetAsync(SessionKeys.Of(client.Jar["koa.sid"]), stored, TimeSpan.FromDays(1));
        return client;
    }

    private async Task<string?> StoredAsync(SessionClient client) => await redis.Database.StringGetAsync(SessionKeys.Of(client.Jar["koa.sid"]));

    /// <summary>A session whose <c>deep</c> value nests arrays so that the whole text is <paramref name="depth"/> levels deep.</summary>
    private static string Deep(int depth) =>
        "{\"cookie\":" + CookieJson + ",\"deep\":" + new string('[', depth - 1) + "1" + new string(']', depth - 1) + "}";

    [Fact]
    public async Task M3_a_session_nested_1000_levels_deep_is_read_patched_and_saved()
    {
        var stored = Deep(1000);
        using var client = await WithStoredAsync(stored);
        var sid = client.Jar["koa.sid"];

        var read = await client.GetAsync();
        Assert.True(read.Status == 200, $"{read.Status}: {read.Body}");
        Assert.Empty(read.SetCookies);
        Assert.Contains(new string('[', 999) + "1", read.Body, StringComparison.Ordinal);

        var patched = await client.PatchAsync("""{"n":1}""");
        Assert.True(patched.Status == 200, $"{patched.Status}: {patched.Body}");
        Assert.Equal(sid, client.Jar["koa.sid"]);
        var after = await StoredAsync(client);
        Assert.Contains(new string('[', 999) + "1" + new string(']', 999), after, StringComparison.Ordinal);
        Assert.Contains("\"n\":1", after, StringComparison.Ordinal);

        Assert.Equal(200, (await client.PutAsync("""{"n":2}""")).Status);
        Assert.Equal(sid, client.Jar["koa.sid"]);
    }

    [Fact]
    public async Task M3_a_repeated_key_is_read_as_JSON_parse_reads_it_the_last_one_winning_in_the_first_place()
    {
        using var client = await WithStoredAsync("{\"cookie\":" + CookieJson + ",\"a\":1,\"b\":2,\"a\":{\"x\":1,\"x\":3}}");

        var read = await client.GetAsync();
        Assert.True(read.Status == 200, $"{read.Status}: {read.Body}");
        Assert.Equal(3, read.Json["a"]!["x"]!.GetValue<int>());
        Assert.Equal(2, read.Json["b"]!.GetValue<int>());

        Assert.Equal(200, (await client.PatchAsync("""{"n":1}""")).Status);
        // What Koa's JSON.stringify(JSON.parse(text)) would write: each key once, where it first came.
        Assert.Equal("{\"cookie\":" + CookieJson + ",\"a\":{\"x\":3},\"b\":2,\"n\":1}", await StoredAsync(client));
    }

    [Fact]
    public async Task M3_a_repeated_key_next_to_a_lone_surrogate_is_read_too()
    {
        using var client = await WithStoredAsync("{\"cookie\":" + CookieJson + ",\"s\":\"\\ud800\",\"a\":1,\"a\":2}");
        var read = await client.GetAsync();
        Assert.True(read.Status == 200, $"{read.Status}: {read.Body}");
        Assert.Equal(2, read.Json["a"]!.GetValue<int>());
    }

    public static TheoryData<string> Unreadable { get; } = new() { "not json", "[1,2]", "\"text\"", Deep(1001), Deep(5000) };

    [Theory]
    [MemberData(nameof(Unreadable))]
    public async Task M3_an_unreadable_value_is_409_and_neither_it_nor_the_cookies_are_touched(string stored)
    {
        using var client = await WithStoredAsync(stored);
        var sid = client.Jar["koa.sid"];
        foreach (var send in new Func<Task<SessionResponse>>[]
                 {
                     () => client.GetAsync(),
                     () => client.PatchAsync("""{"n":1}"""),
                     () => client.PutAsync("""{"n":1}"""),
                     () => client.RegenerateAsync(),
                 })
        {
            var response = await send();
            Assert.True(response.Status == 409, $"{response.Status}: {response.Body}");
            Assert.Equal(SessionProblem.Unreadable.Type, response.ProblemType);
            Assert.Empty(response.SetCookies);
            Assert.Equal(sid, client.Jar["koa.sid"]);
            Assert.Equal(stored, await StoredAsync(client));
        }
        Assert.Equal(1, (int)await redis.Database.ExecuteAsync("EXISTS", SessionKeys.Of(sid)));
    }
}

/// <summary>
/// L8: a body member that reaches a JavaScript prototype (<c>__proto__</c> at any depth, <c>constructor.prototype</c>)
/// is refused with 400 <c>forbidden-key</c> before anything is read or written, on every route that takes a body;
/// what Koa stored is still read as it is. Against a real redis-server, whose value must not change.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class HostilePrototypeKeyTests(RedisServer redis) : IDisposable
{
    private readonly SessionApiFactory _api = SessionApiFactory.WithRedis(redis);

    public void Dispose() => _api.Dispose();

    private async Task<string?> StoredAsync(string sid) => await redis.Database.StringGetAsync(SessionKeys.Of(sid));

    public static TheoryData<string, string, string> Polluting { get; } = new()
    {
        { "POST", """{"__proto__":{"isAdmin":true}}""", "/__proto__" },
        { "PUT", """{"a":{"b":{"c":{"__proto__":{"isAdmin":true}}}}}""", "/a/b/c/__proto__" },
        { "PUT", """{"list":[1,{"__proto__":null}]}""", "/list/1/__proto__" },
        // An escape is the same name once parsed, as JSON.parse reads it.
        { "PUT", """{"prefs":{"\u005f_proto__":{"polluted":1}}}""", "/prefs/__proto__" },
        { "PUT", """{"cookie":{"__proto__":{"maxAge":1}}}""", "/cookie/__proto__" },
        { "PATCH", """{"prefs":{"__proto__":{"isAdmin":true}}}""", "/prefs/__proto__" },
        // Merge patch's null (remove) is refused too: a PUT without the member removes one that Koa wrote.
        { "PATCH", """{"__proto__":null}""", "/__proto__" },
        { "POST /regenerate", """{"user":{"name":"ada","__proto__":{"isAdmin":true}}}""", "/user/__proto__" },
        // lodash merge's gadget: target.constructor is Object, so constructor.prototype is Object.prototype.
        { "PUT", """{"constructor":{"prototype":{"isAdmin":true}}}""", "/constructor/prototype" },
        { "PATCH", """{"x":{"constructor":{"prototype":{"isAdmin":true}}}}""", "/x/constructor/prototype" },
        { "POST /regenerate", """{"a/b":{"constructor":{"x":1,"prototype":{}}}}""", "/a~1b/constructor/prototype" },
    };

    [Theory]
    [MemberData(nameof(Polluting))]
    public async Task L8_a_prototype_key_at_any_depth_is_400_forbidden_key_and_nothing_changes(string request, string body, string pointer)
    {
        using var client = _api.CreateSessionClient();
        Assert.Equal(201, (await client.PostAsync(json: """{"n":1,"prefs":{"theme":"dark"}}""")).Status);
        var sid = client.Jar["koa.sid"];
        var before = await StoredAsync(sid);
        var ttl = await redis.Database.KeyTimeToLiveAsync(SessionKeys.Of(sid));

        var response = request switch
        {
            "POST" => await client.PostAsync(json: body),
            "PUT" => await client.PutAsync(body),
            "PATCH" => await client.PatchAsync(body),
            "POST /regenerate" => await client.RegenerateAsync(body),
            _ => throw new ArgumentOutOfRangeException(nameof(request)),
        };

        Assert.True(response.Status == 400, $"{request} {body}: {response.Status} {response.Body}");
        Assert.Equal("application/problem+json", response.ContentType?.MediaType);
        Assert.Equal(SessionProblem.ForbiddenKey.Type, response.ProblemType);
        Assert.Equal(SessionProblem.ForbiddenKey.Title, response.Json["title"]!.GetValue<string>());
        Assert.Contains($"The member at {pointer} is not allowed", response.Json["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        // Nothing changed: no new cookie, the same session under the same sid, with the same value and no fresh TTL.
        Assert.Empty(response.SetCookies);
        Assert.Equal(sid, client.Jar["koa.sid"]);
        Assert.Equal(before, await StoredAsync(sid));
        Assert.True(await redis.Database.KeyTimeToLiveAsync(SessionKeys.Of(sid)) <= ttl, "The refused request refreshed the TTL.");
        var read = await client.GetAsync();
        Assert.Equal(200, read.Status);
        Assert.Equal(before, read.Body);
    }

    [Fact]
    public async Task L8_constructor_and_prototype_alone_are_ordinary_names()
    {
        using var client = _api.CreateSessionClient();
        const string Fields = """{"constructor":"Ada's form builder","prototype":{"draft":true},"x":{"constructor":[{"prototype":1}]},"__proto":1}""";
        var created = await client.PostAsync(json: Fields);
        Assert.True(created.Status == 201, $"{created.Status}: {created.Body}");
        Assert.Equal(200, (await client.PatchAsync("""{"prototype":{"draft":false}}""")).Status);
        var stored = System.Text.Json.Nodes.JsonNode.Parse((await StoredAsync(client.Jar["koa.sid"]))!)!;
        Assert.Equal("Ada's form builder", stored["constructor"]!.GetValue<string>());
        Assert.False(stored["prototype"]!["draft"]!.GetValue<bool>());
        Assert.Equal(1, stored["x"]!["constructor"]![0]!["prototype"]!.GetValue<int>());
    }

    [Fact]
    public async Task L8_a_prototype_key_that_Koa_stored_is_read_kept_by_a_patch_and_dropped_by_a_put_without_it()
    {
        using var client = _api.CreateSessionClient();
        Assert.Equal(201, (await client.PostAsync(json: """{"n":1}""")).Status);
        var sid = client.Jar["koa.sid"];
        const string Cookie = """{"httpOnly":true,"path":"/","overwrite":true,"signed":true,"maxAge":86400000}""";
        var koa = "{\"cookie\":" + Cookie + ",\"n\":1,\"__proto__\":{\"fromKoa\":true}}";
        await redis.Database.StringSetAsync(SessionKeys.Of(sid), koa, TimeSpan.FromDays(1));

        var read = await client.GetAsync();
        Assert.True(read.Status == 200, $"{read.Status}: {read.Body}");
        Assert.True(read.Json["__proto__"]!["fromKoa"]!.GetValue<bool>());

        // A patch that does not name it leaves it where Koa put it; a PUT without it is the way to remove it.
        Assert.Equal(200, (await client.PatchAsync("""{"n":2}""")).Status);
        Assert.Equal("{\"cookie\":" + Cookie + ",\"n\":2,\"__proto__\":{\"fromKoa\":true}}", await StoredAsync(sid));
        Assert.Equal(400, (await client.PutAsync(read.Body)).Status);
        Assert.Equal(200, (await client.PutAsync("""{"n":3}""")).Status);
        Assert.Equal("{\"cookie\":" + Cookie + ",\"n\":3}", await StoredAsync(sid));
    }
}
