using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using SessionFunctions.Tests.Infrastructure;
using StackExchange.Redis;

namespace SessionFunctions.Tests;

/// <summary>
/// The user index (Session:UserIdPath, issue 13): "where you're signed in" and signing out other devices, through HTTP,
/// against a real Redis (<see cref="UserIndexRedisTests"/>) and the local Redis Cluster (<see cref="UserIndexClusterTests"/>).
/// </summary>
public abstract class UserIndexScenarios
{
    protected const string UserIdPath = "/user/id";

    /// <summary>The API against this class's Redis, with the user index on unless <paramref name="settings"/> unset it.</summary>
    protected abstract SessionApiFactory Api(params (string Key, string? Value)[] settings);

    protected abstract IDatabase Database { get; }

    // Users of their own: the server outlives a test (xunit makes an instance per test).
    private protected readonly string _ada = NewUser("ada"), _bob = NewUser("bob"), _storm = NewUser("storm");

    /// <summary>A user id of its own: the server outlives a test.</summary>
    protected static string NewUser(string name) => name + "-" + Guid.NewGuid().ToString("N")[..8];

    protected static string IndexKey(string user) => SessionKeys.IndexOfUser(user);

    /// <summary>Logs in as <paramref name="user"/> (a new session), and fails the test at once, with the answer, if that did not work.</summary>
    protected static async Task<SessionResponse> LoginAsync(SessionClient client, string user, string? label = null)
    {
        var login = await client.PostAsync(json: $$$"""{"user":{"id":"{{{user}}}"}}""",
            configure: label is null ? null : request => request.Headers.TryAddWithoutValidation("Session-Client-Label", label));
        Assert.True(login.Status == 201, $"login answered {login.Status}: {login.Body}");
        return login;
    }

    protected static Task<SessionResponse> ListAsync(SessionClient client) => client.GetAsync("/api/session/all");

    protected static Task<SessionResponse> DeleteAsync(SessionClient client, string path) => client.SendAsync(HttpMethod.Delete, path, null, null);

    protected static List<JsonObject> Sessions(SessionResponse list)
    {
        Assert.True(list.Status == 200, $"{list.Status}: {list.Body}");
        return [.. list.Json["sessions"]!.AsArray().Select(s => s!.AsObject())];
    }

    [Fact]
    public async Task Lists_the_users_sessions_with_handles_that_are_not_sids()
    {
        using var api = Api();
        using var laptop = api.CreateSessionClient();
        using var phone = api.CreateSessionClient();
        using var other = api.CreateSessionClient();
        Assert.Equal(201, (await LoginAsync(laptop, _ada, "Laptop")).Status);
        Assert.Equal(201, (await LoginAsync(phone, _ada, "Phone " + new string('x', 200))).Status);
        Assert.Equal(201, (await LoginAsync(other, _bob)).Status);

        var list = await ListAsync(laptop);
        var sessions = Sessions(list);
        Assert.Equal(2, sessions.Count);
        Assert.True(sessions[0]["current"]!.GetValue<bool>());
        Assert.Equal("Laptop", sessions[0]["label"]!.GetValue<string>());
        Assert.False(sessions[1]["current"]!.GetValue<bool>());
        Assert.Equal(100, sessions[1]["label"]!.GetValue<string>().Length);
        foreach (var session in sessions)
        {
            var created = DateTimeOffset.Parse(session["created"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            var lastSeen = DateTimeOffset.Parse(session["lastSeen"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(created <= lastSeen && lastSeen <= DateTimeOffset.UtcNow.AddMinutes(1));
        }
        // A sid is a bearer credential: no handle is one, and no sid is in the body.
        foreach (var sid in new[] { laptop.Jar["koa.sid"], phone.Jar["koa.sid"], other.Jar["koa.sid"] })
        {
            Assert.DoesNotContain(sid, list.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(sessions, s => s["handle"]!.GetValue<string>() == sid);
        }
        Assert.Equal(2, sessions.Select(s => s["handle"]!.GetValue<string>()).Distinct().Count());
        // The other user sees only their own.
        Assert.Single(Sessions(await ListAsync(other)));
    }

    [Fact]
    public async Task Sign_out_others_keeps_this_session()
    {
        using var api = Api();
        using var laptop = api.CreateSessionClient();
        using var phone = api.CreateSessionClient();
        using var tablet = api.CreateSessionClient();
        using var other = api.CreateSessionClient();
        await LoginAsync(laptop, _ada);
        await LoginAsync(phone, _ada);
        await LoginAsync(tablet, _ada);
        await LoginAsync(other, _bob);

        var response = await DeleteAsync(laptop, "/api/session/others");
        Assert.Equal(204, response.Status);
        Assert.Empty(response.SetCookies);
        Assert.Equal(200, (await laptop.GetAsync()).Status);
        Assert.Equal(404, (await phone.GetAsync()).Status);
        Assert.Equal(404, (await tablet.GetAsync()).Status);
        Assert.Equal(200, (await other.GetAsync()).Status);
        Assert.Single(Sessions(await ListAsync(laptop)));
        Assert.Equal([laptop.Jar["koa.sid"]], (await Database.HashKeysAsync(IndexKey(_ada))).Select(k => (string)k!));
    }

    [Fact]
    public async Task Sign_out_everywhere_includes_this_session_and_clears_its_cookies()
    {
        using var api = Api();
        using var laptop = api.CreateSessionClient();
        using var phone = api.CreateSessionClient();
        using var other = api.CreateSessionClient();
        await LoginAsync(laptop, _ada);
        await LoginAsync(phone, _ada);
        await LoginAsync(other, _bob);
        var laptopSid = laptop.Jar["koa.sid"];

        var response = await DeleteAsync(laptop, "/api/session/all");
        Assert.Equal(204, response.Status);
        Assert.Contains(response.SetCookies, c => c.StartsWith("koa.sid=;", StringComparison.Ordinal));
        Assert.False(await Database.KeyExistsAsync(SessionKeys.Of(laptopSid)));
        Assert.Equal(404, (await phone.GetAsync()).Status);
        Assert.Equal(200, (await other.GetAsync()).Status);
        Assert.Empty(await Database.HashKeysAsync(IndexKey(_ada)));
    }

    [Fact]
    public async Task A_numeric_user_id_is_one_user_however_the_login_wrote_the_number()
    {
        // The store holds numbers as JSON.stringify writes them (1.0 is 1); the index must key the user the same way, or a
        // session logged in as 42.0 is listed, and signed out, under another user than the one it is read back as.
        var id = Random.Shared.NextInt64(100_000_000_000, 999_999_999_999);
        using var api = Api();
        using var laptop = api.CreateSessionClient();
        using var phone = api.CreateSessionClient();
        Assert.Equal(201, (await laptop.PostAsync(json: $$$"""{"user":{"id":{{{id}}}.0}}""")).Status);
        Assert.Equal(201, (await phone.PostAsync(json: $$$"""{"user":{"id":{{{id}}}.0}}""")).Status);

        Assert.Equal(2, Sessions(await ListAsync(laptop)).Count);
        Assert.Equal(204, (await DeleteAsync(laptop, "/api/session/all")).Status);

        Assert.Equal(404, (await phone.GetAsync()).Status);
        Assert.Empty(await Database.HashKeysAsync(SessionKeys.IndexOfJson(id.ToString(CultureInfo.InvariantCulture))));
    }

    [Fact]
    public async Task Sign_out_one_by_handle_only_of_this_user()
    {
        using var api = Api();
        using var laptop = api.CreateSessionClient();
        using var phone = api.CreateSessionClient();
        using var other = api.CreateSessionClient();
        await LoginAsync(laptop, _ada);
        await LoginAsync(phone, _ada, "Phone");
        await LoginAsync(other, _bob);
        var phoneHandle = Sessions(await ListAsync(laptop)).Single(s => !s["current"]!.GetValue<bool>())["handle"]!.GetValue<string>();
        var bobHandle = Sessions(await ListAsync(other)).Single()["handle"]!.GetValue<string>();

        var foreign = await DeleteAsync(laptop, "/api/session/all/" + bobHandle);
        Assert.Equal(404, foreign.Status);
        Assert.Equal("urn:sessionfunctions:problem:user-session-not-found", foreign.ProblemType);
        Assert.Equal(200, (await other.GetAsync()).Status);
        Assert.Equal(404, (await DeleteAsync(laptop, "/api/session/all/" + phone.Jar["koa.sid"])).Status);

        Assert.Equal(204, (await DeleteAsync(laptop, "/api/session/all/" + phoneHandle)).Status);
        Assert.Equal(404, (await phone.GetAsync()).Status);
        Assert.Equal(200, (await laptop.GetAsync()).Status);
        Assert.Single(Sessions(await ListAsync(laptop)));
    }

    [Fact]
    public async Task Without_a_user_or_a_session_it_is_404()
    {
        using var api = Api();
        using var anonymous = api.CreateSessionClient();
        var none = await ListAsync(anonymous);
        Assert.Equal(404, none.Status);
        Assert.Equal("urn:sessionfunctions:problem:session-not-found", none.ProblemType);
        await anonymous.PostAsync(json: """{"cart":1}""");
        foreach (var response in new[] { await ListAsync(anonymous), await DeleteAsync(anonymous, "/api/session/others") })
        {
            Assert.Equal(404, response.Status);
            Assert.Equal("urn:sessionfunctions:problem:no-user", response.ProblemType);
        }
        Assert.Equal(200, (await anonymous.GetAsync()).Status);

        using var off = Api((UserIdPathSetting, null));
        using var client = off.CreateSessionClient();
        await LoginAsync(client, _ada);
        Assert.Equal("urn:sessionfunctions:problem:no-user", (await ListAsync(client)).ProblemType);
    }

    protected const string UserIdPathSetting = "Session:UserIdPath";

    /// <summary>These tests log in by writing the user id, as a client could before logins were verified (VerifiedLoginTests).</summary>
    protected static readonly (string Key, string? Value) TrustClients = ("Session:DangerouslyTrustClientsWithUserId", "true");

    [Fact]
    public async Task Logout_regenerate_and_a_change_of_user_take_the_session_out()
    {
        using var api = Api();
        using var client = api.CreateSessionClient();
        await LoginAsync(client, _ada);
        var first = client.Jar["koa.sid"];
        Assert.Equal(200, (await client.RegenerateAsync()).Status);
        var second = client.Jar["koa.sid"];
        Assert.Equal([second], (await Database.HashKeysAsync(IndexKey(_ada))).Select(k => (string)k!));
        Assert.NotEqual(first, second);

        Assert.Equal(200, (await client.PutAsync($$$"""{"user":{"id":"{{{_bob}}}"}}""")).Status);
        Assert.Empty(await Database.HashKeysAsync(IndexKey(_ada)));
        Assert.Equal([second], (await Database.HashKeysAsync(IndexKey(_bob))).Select(k => (string)k!));

        Assert.Equal(204, (await client.DeleteAsync()).Status);
        Assert.Empty(await Database.HashKeysAsync(IndexKey(_bob)));
    }

    [Fact]
    public async Task A_login_logout_storm_leaves_every_live_session_listed()
    {
        using var api = Api(SessionApiFactory.UnderLoad);
        var issued = new ConcurrentBag<string>();
        const int Clients = 8, Iterations = 20;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            using var client = api.CreateSessionClient();
            for (var i = 0; i < Iterations; i++)
            {
                await LoginAsync(client, _storm);
                issued.Add(client.Jar["koa.sid"]);
                switch (random.Next(5))
                {
                    case 0:
                        await client.DeleteAsync();
                        break;
                    case 1:
                        await client.RegenerateAsync();
                        if (client.Jar.TryGetValue("koa.sid", out var regenerated)) issued.Add(regenerated);
                        break;
                    case 2:
                        await DeleteAsync(client, "/api/session/others");
                        break;
                    case 3:
                        await ListAsync(client);
                        break;
                    default:
                        await client.PatchAsync("""{"n":1}""");
                        break;
                }
            }
        })));

        var live = new List<string>();
        foreach (var sid in issued.Distinct())
        {
            if (await Database.KeyExistsAsync(SessionKeys.Of(sid))) live.Add(sid);
        }
        Assert.NotEmpty(live);
        var indexed = (await Database.HashKeysAsync(IndexKey(_storm))).Select(k => (string)k!).ToHashSet();
        Assert.Subset(indexed, live.ToHashSet());

        // A listing from one of them lists exactly the live ones.
        using var lister = api.CreateSessionClient();
        lister.Jar["koa.sid"] = live[0];
        lister.Jar["koa.sid.sig"] = Sign(live[0]);
        Assert.Equal(live.Count, Sessions(await ListAsync(lister)).Count);
    }

    [Fact]
    public async Task Listing_prunes_members_whose_session_expired()
    {
        // A short grace (ReconnectTimeout + 2 s), but not so short a wait that a loaded machine answers 503.
        using var api = Api(("Session:ReconnectTimeout", "1000"));
        using var laptop = api.CreateSessionClient();
        using var phone = api.CreateSessionClient();
        await LoginAsync(laptop, _ada);
        await LoginAsync(phone, _ada);
        var phoneSid = phone.Jar["koa.sid"];
        // As if its TTL ran out: Redis deletes the key, and nothing tells the index.
        await Database.KeyDeleteAsync(SessionKeys.Of(phoneSid));

        // Not listed at once, but kept while a write might still be under way (the grace: ReconnectTimeout + 2 s).
        Assert.Single(Sessions(await ListAsync(laptop)));
        Assert.True(await Database.HashExistsAsync(IndexKey(_ada), phoneSid));
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        Assert.Single(Sessions(await ListAsync(laptop)));
        Assert.False(await Database.HashExistsAsync(IndexKey(_ada), phoneSid));
    }

    [Fact]
    public async Task A_login_past_Session_MaxSessionsPerUser_signs_out_the_least_recently_seen_and_a_regenerate_signs_out_none()
    {
        using var api = Api(("Session:MaxSessionsPerUser", "3"));
        var devices = Enumerable.Range(0, 5).Select(_ => api.CreateSessionClient()).ToList();
        // A millisecond apart at least, so that each step is seen after the one before.
        async Task StepAsync(Func<Task<SessionResponse>> step, int status)
        {
            await Task.Delay(5);
            var response = await step();
            Assert.True(response.Status == status, $"{response.Status}: {response.Body}");
        }
        foreach (var device in devices.Take(3)) await StepAsync(() => LoginAsync(device, _ada), 201);
        await StepAsync(() => devices[0].PatchAsync("""{"n":1}"""), 200); // seen again: now the second least recently seen is the first

        await StepAsync(() => LoginAsync(devices[3], _ada), 201);

        Assert.Equal(404, (await devices[1].GetAsync()).Status);
        Assert.Equal(((int[])[0, 2, 3]).Select(i => devices[i].Jar["koa.sid"]).Order(StringComparer.Ordinal),
            (await Database.HashKeysAsync(IndexKey(_ada))).Select(k => (string)k!).Order(StringComparer.Ordinal));
        // A regenerate at the bound replaces its own session: no one else goes.
        await StepAsync(() => devices[3].RegenerateAsync(), 200);
        foreach (var device in (int[])[0, 2, 3]) Assert.Equal(200, (await devices[device].GetAsync()).Status);

        await StepAsync(() => LoginAsync(devices[4], _ada), 201);
        Assert.Equal(404, (await devices[2].GetAsync()).Status);
        var listed = Sessions(await ListAsync(devices[4]));
        Assert.Equal(3, listed.Count);
        Assert.Equal(3, await Database.HashLengthAsync(IndexKey(_ada)));
    }

    [Fact]
    public async Task A_string_and_a_number_are_two_users_a_number_beyond_the_doubles_is_none_and_index_keys_have_one_length()
    {
        var id = Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(CultureInfo.InvariantCulture);
        var longId = NewUser(new string('x', 10_000));
        using var api = Api();
        using var number = api.CreateSessionClient();
        using var text = api.CreateSessionClient();
        using var longUser = api.CreateSessionClient();
        using var infinite = api.CreateSessionClient();
        Assert.Equal(201, (await number.PostAsync(json: $$$"""{"user":{"id":{{{id}}}}}""")).Status);
        Assert.Equal(201, (await text.PostAsync(json: $$$"""{"user":{"id":"{{{id}}}"}}""")).Status);
        await LoginAsync(longUser, longId);
        Assert.Equal(201, (await infinite.PostAsync(json: """{"user":{"id":1e400}}""")).Status);

        // 1 and "1" are two users, each alone in its index.
        Assert.Single(Sessions(await ListAsync(number)));
        Assert.Single(Sessions(await ListAsync(text)));
        Assert.Equal([number.Jar["koa.sid"]], (await Database.HashKeysAsync(SessionKeys.IndexOfJson(id))).Select(k => (string)k!));
        Assert.Equal([text.Jar["koa.sid"]], (await Database.HashKeysAsync(SessionKeys.IndexOfJson("\"" + id + "\""))).Select(k => (string)k!));
        // A 10,000-character id gets a key as long as any other.
        Assert.Equal([longUser.Jar["koa.sid"]], (await Database.HashKeysAsync(IndexKey(longId))).Select(k => (string)k!));
        Assert.Equal("koa:sess:user:".Length + 43, IndexKey(longId).Length);
        // JSON.stringify writes 1e400 (Infinity) as null: no user, so no index and no list.
        var none = await ListAsync(infinite);
        Assert.Equal(404, none.Status);
        Assert.Equal("urn:sessionfunctions:problem:no-user", none.ProblemType);
        Assert.False(await Database.KeyExistsAsync(SessionKeys.IndexOfJson("null")));
    }

    private static string Sign(string sid)
    {
        using var hmac = new System.Security.Cryptography.HMACSHA1(System.Text.Encoding.UTF8.GetBytes(SessionApiFactory.TestKeys[0]));
        return System.Buffers.Text.Base64Url.EncodeToString(hmac.ComputeHash(System.Text.Encoding.UTF8.GetBytes("koa.sid=" + sid)));
    }
}

[Collection(RedisCollection.Name)]
public sealed class UserIndexRedisTests(RedisServer redis) : UserIndexScenarios
{
    protected override IDatabase Database => redis.Database;

    protected override SessionApiFactory Api(params (string Key, string? Value)[] settings) =>
        SessionApiFactory.WithRedis(redis, [(UserIdPathSetting, UserIdPath), TrustClients, .. settings]);

    [Fact]
    public async Task A_save_with_a_user_costs_one_more_round_trip_and_none_without_the_index()
    {
        using var api = Api();
        await api.LoadRedisScriptsAsync();
        using var warm = api.CreateSessionClient();
        await LoginAsync(warm, _ada);
        await warm.PutAsync($$$"""{"user":{"id":"{{{_ada}}}"},"n":1}""");
        var client = api.CreateSessionClient();
        // The index script's one EVALSHA runs TIME, HGET, HSET and TTL (and EXPIRE only when the index key would end before the session);
        // a new member also HLEN, to check Session:MaxSessionsPerUser (and HGETALL only past it).
        var (created, createCommands) = await redis.WithCommandCountsAsync(() => LoginAsync(client, _ada));
        Assert.Equal(201, created.Status);
        Assert.Equal(new Dictionary<string, long> { ["set"] = 1, ["evalsha"] = 2, ["time"] = 2, ["hget"] = 1, ["hset"] = 1, ["ttl"] = 1, ["hlen"] = 1 }, createCommands);
        var (saved, saveCommands) = await redis.WithCommandCountsAsync(() => client.PutAsync($$$"""{"user":{"id":"{{{_ada}}}"},"n":2}"""));
        Assert.Equal(200, saved.Status);
        Assert.Equal(2, saveCommands["evalsha"]);
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 2, ["time"] = 2, ["get"] = 1, ["set"] = 1, ["hget"] = 1, ["hset"] = 1, ["ttl"] = 1 }, saveCommands);

        // Without UserIdPath a logged-in session costs what any other does (RedisCommandCountTests holds the budget).
        using var off = Api((UserIdPathSetting, null));
        await off.LoadRedisScriptsAsync();
        var plain = off.CreateSessionClient();
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["time"] = 1, ["set"] = 1 }, (await redis.WithCommandCountsAsync(() => LoginAsync(plain, _ada))).Commands);
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["time"] = 1, ["get"] = 1, ["set"] = 1 },
            (await redis.WithCommandCountsAsync(() => plain.PutAsync($$$"""{"user":{"id":"{{{_ada}}}"},"n":2}"""))).Commands);
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["time"] = 1, ["del"] = 1 }, (await redis.WithCommandCountsAsync(() => plain.DeleteAsync())).Commands);
    }
}

[Collection(RedisClusterCollection.Name)]
public sealed class UserIndexClusterTests(RedisCluster cluster) : UserIndexScenarios
{
    protected override IDatabase Database => cluster.Database;

    protected override SessionApiFactory Api(params (string Key, string? Value)[] settings) =>
        new(SessionApiFactory.Settings([("Redis:ConnectionString", cluster.ConnectionString), (UserIdPathSetting, UserIdPath), TrustClients, .. settings]));
}
