using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SessionFunctions.Http;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// HTTP's own concurrency tools on the session (RFC 9110 §13, RFC 7396): every response carrying the session has a
/// strong <c>ETag</c>, the SHA-1 of the exact stored text; <c>If-None-Match</c> gives 304; <c>If-Match</c> makes a
/// change happen only on the value the client saw, checked and written in one atomic Redis step; <c>PATCH</c> merges
/// atomically even without it. Against a real redis-server, and Koa's writes count as changes.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ConditionalRequestTests(RedisServer redis)
{
    private static string ETagOf(string storedText) =>
        "\"" + Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(storedText))) + "\"";

    private async Task<string> StoredAsync(SessionClient client) => (string)(await redis.Database.StringGetAsync(SessionKeys.Of(client.Jar["koa.sid"])))!;

    private static Action<HttpRequestMessage> IfMatch(string etag) => request => request.Headers.TryAddWithoutValidation("If-Match", etag);

    private static string? ETag(SessionResponse response) => response.Headers.ETag?.ToString();

    [Fact]
    public async Task Every_response_carrying_the_session_has_the_sha1_of_the_stored_text_as_its_etag()
    {
        using var api = SessionApiFactory.WithRedis(redis);
        var client = api.CreateSessionClient();

        var created = await client.PostAsync(json: """{"count":1,"name":"Zoë"}""");
        Assert.Equal(ETagOf(await StoredAsync(client)), ETag(created));
        Assert.False(created.Headers.ETag!.IsWeak);
        Assert.Equal(ETag(created), ETag(await client.GetAsync()));

        var saved = await client.PutAsync("""{"count":2}""");
        Assert.Equal(ETagOf(await StoredAsync(client)), ETag(saved));
        Assert.NotEqual(ETag(created), ETag(saved));

        var patched = await client.PatchAsync("""{"more":true}""");
        Assert.Equal(ETagOf(await StoredAsync(client)), ETag(patched));

        var regenerated = await client.RegenerateAsync();
        Assert.Equal(ETagOf(await StoredAsync(client)), ETag(regenerated));
    }

    [Fact]
    public async Task If_none_match_with_the_current_etag_answers_304_without_a_body_after_one_read()
    {
        using var api = SessionApiFactory.WithRedis(redis);
        var client = api.CreateSessionClient();
        var etag = ETag(await client.PostAsync(json: """{"count":1}"""))!;

        var (notModified, commands) = await redis.WithCommandCountsAsync(() => client.GetAsync(configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", "W/" + etag)));

        Assert.Equal(304, notModified.Status);
        Assert.Equal("", notModified.Body);
        Assert.Equal(etag, ETag(notModified));
        Assert.Equal(new Dictionary<string, long> { ["get"] = 1 }, commands);
        Assert.Equal(200, (await client.GetAsync(configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", "\"0000000000000000000000000000000000000000\""))).Status);
    }

    [Fact]
    public async Task If_match_with_a_stale_etag_changes_nothing_and_names_the_current_one()
    {
        using var api = SessionApiFactory.WithRedis(redis);
        var client = api.CreateSessionClient();
        var first = ETag(await client.PostAsync(json: """{"count":1}"""))!;
        var second = ETag(await client.PutAsync("""{"count":2}"""))!;
        var stored = await StoredAsync(client);

        foreach (var attempt in new[]
        {
            client.PutAsync("""{"count":3}""", configure: IfMatch(first)),
            client.PatchAsync("""{"count":3}""", IfMatch(first)),
            client.SendAsync(HttpMethod.Post, "/api/session/regenerate", null, IfMatch(first)),
            client.SendAsync(HttpMethod.Delete, "/api/session", null, IfMatch(first)),
        })
        {
            var response = await attempt;
            Assert.Equal(412, response.Status);
            Assert.Equal(SessionProblem.PreconditionFailed.Type, response.ProblemType);
            Assert.Equal(second, ETag(response));
            Assert.Empty(response.SetCookies);
            Assert.Equal(stored, await StoredAsync(client));
        }

        var ok = await client.PutAsync("""{"count":3}""", configure: IfMatch(second));
        Assert.Equal(200, ok.Status);
        Assert.Equal(204, (await client.SendAsync(HttpMethod.Delete, "/api/session", null, IfMatch(ETag(ok)!))).Status);
    }

    [Theory]
    [InlineData("W/{0}")]
    [InlineData("\"abc\"")]
    public async Task A_delete_whose_if_match_names_no_usable_tag_is_412_and_deletes_nothing(string ifMatch)
    {
        using var api = SessionApiFactory.WithRedis(redis);
        var client = api.CreateSessionClient();
        var etag = ETag(await client.PostAsync(json: """{"count":1}"""))!;

        var delete = await client.SendAsync(HttpMethod.Delete, "/api/session", null, IfMatch(string.Format(System.Globalization.CultureInfo.InvariantCulture, ifMatch, etag)));

        // If-Match compares strongly: a weak or malformed tag matches nothing, so the logout must not be announced.
        Assert.Equal(412, delete.Status);
        Assert.Empty(delete.SetCookies);
        Assert.True(await redis.Database.KeyExistsAsync(SessionKeys.Of(client.Jar["koa.sid"])));
    }

    [Fact]
    public async Task If_match_star_means_only_if_a_session_exists()
    {
        using var api = SessionApiFactory.WithRedis(redis);
        var client = api.CreateSessionClient();

        // PUT would create one; with If-Match: * it must not.
        var none = await client.PutAsync("""{"count":1}""", configure: IfMatch("*"));
        Assert.Equal(412, none.Status);
        Assert.Empty(client.Jar);

        await client.PostAsync(json: """{"count":1}""");
        Assert.Equal(200, (await client.PutAsync("""{"count":2}""", configure: IfMatch("*"))).Status);
    }

    [Fact]
    public async Task Patch_merges_as_rfc_7396_says_and_applies_cookie_overrides_as_put_does()
    {
        using var api = SessionApiFactory.WithRedis(redis);
        var client = api.CreateSessionClient();
        await client.PostAsync(json: """{"nick":{"name":"ada","roles":["a"],"tmp":1},"keep":true,"drop":1}""");

        var patched = await client.PatchAsync("""{"nick":{"name":"grace","tmp":null,"new":{"x":1}},"drop":null,"cookie":{"maxAge":3600000}}""");

        Assert.Equal(200, patched.Status);
        var fields = (JsonObject)patched.Json.DeepClone();
        Assert.Equal(3_600_000, fields["cookie"]!["maxAge"]!.GetValue<long>());
        fields.Remove("cookie");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"nick":{"name":"grace","roles":["a"],"new":{"x":1}},"keep":true}"""), fields), fields.ToJsonString());
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync(SessionKeys.Of(client.Jar["koa.sid"])))!.Value.TotalSeconds, 3590, 3600);
    }

    [Fact]
    public async Task Patch_takes_only_merge_patch_json_and_needs_a_session()
    {
        using var api = SessionApiFactory.WithRedis(redis);
        var client = api.CreateSessionClient();
        Assert.Equal(404, (await client.PatchAsync("""{"a":1}""")).Status);
        await client.PostAsync(json: """{"a":1}""");

        var json = await client.PatchAsync("""{"a":2}""", mediaType: "application/json");
        Assert.Equal(415, json.Status);
        Assert.Equal("application/merge-patch+json", json.Headers.GetValues("Accept-Patch").Single());
        Assert.Equal(400, (await client.PatchAsync("""{"cookie":null}""")).Status);
        Assert.Equal(400, (await client.PatchAsync("[1]")).Status);
    }

    [Fact]
    public async Task A_warm_patch_or_conditional_put_is_one_round_trip()
    {
        using var api = SessionApiFactory.WithRedis(redis);
        var client = api.CreateSessionClient();
        var etag = ETag(await client.PostAsync(json: """{"count":1}"""))!;

        var (put, putCommands) = await redis.WithCommandCountsAsync(() => client.PutAsync("""{"count":2}""", configure: IfMatch(etag)));
        var (patch, patchCommands) = await redis.WithCommandCountsAsync(() => client.PatchAsync("""{"count":3}"""));

        // One EVALSHA each; Redis also counts the GET and SET the script runs inside.
        Assert.Equal(200, put.Status);
        Assert.Equal(200, patch.Status);
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["time"] = 1, ["get"] = 1, ["set"] = 1 }, putCommands);
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["time"] = 1, ["get"] = 1, ["set"] = 1 }, patchCommands);
    }

    [Fact]
    public async Task Sixteen_clients_doing_read_modify_write_with_if_match_lose_no_update()
    {
        using var api = SessionApiFactory.WithRedis(redis, SessionApiFactory.UnderLoad);
        var jar = api.CreateSessionClient();
        await jar.PostAsync(json: """{"count":0}""");
        var succeeded = 0;
        var deadline = DateTime.UtcNow.AddSeconds(3);

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            using var client = api.CreateSessionClient(jar: new Dictionary<string, string>(jar.Jar));
            while (DateTime.UtcNow < deadline)
            {
                var read = await client.GetAsync();
                Assert.True(read.Status == 200, $"GET answered {read.Status}: {read.Body}");
                var count = read.Json["count"]!.GetValue<int>();
                var write = await client.PutAsync($$"""{"count":{{count + 1}}}""", configure: IfMatch(ETag(read)!));
                if (write.Status == 200) Interlocked.Increment(ref succeeded);
                else Assert.Equal(412, write.Status);
            }
        })));

        Assert.True(succeeded > 16, $"only {succeeded} updates went through");
        Assert.Equal(succeeded, (await jar.GetAsync()).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Sixteen_clients_patching_their_own_fields_without_if_match_lose_no_update()
    {
        using var api = SessionApiFactory.WithRedis(redis, SessionApiFactory.UnderLoad);
        var jar = api.CreateSessionClient();
        await jar.PostAsync(json: "{}");
        var acknowledged = new int[16];
        var deadline = DateTime.UtcNow.AddSeconds(3);

        await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            using var client = api.CreateSessionClient(jar: new Dictionary<string, string>(jar.Jar));
            for (var n = 1; DateTime.UtcNow < deadline; n++)
            {
                var write = await client.PatchAsync($$"""{"c{{i}}":{{n}}}""");
                if (write.Status == 200) acknowledged[i] = n;
                else Assert.Equal(409, write.Status); // only after repeated conflicts, and then nothing was written
            }
        })));

        // A PUT of all fields would overwrite the others; a merge written only over the value it was applied to keeps them all.
        var final = (await jar.GetAsync()).Json;
        Assert.All(Enumerable.Range(0, 16), i => Assert.Equal(acknowledged[i], final[$"c{i}"]?.GetValue<int>() ?? 0));
        Assert.True(acknowledged.Sum() > 16);
    }

    [Fact]
    public async Task A_koa_write_between_our_read_and_a_conditional_put_gives_412()
    {
        await using var koa = await KoaApp.StartAsync(redis.Port, [.. SessionApiFactory.TestKeys]);
        using var api = SessionApiFactory.WithRedis(redis);
        var ours = api.CreateSessionClient();
        await ours.PostAsync(json: """{"count":1}""");
        var read = await ours.GetAsync();

        var koaWrite = await koa.CreateClient(new Dictionary<string, string>(ours.Jar)).PostAsync("/session/increment");
        Assert.Equal(200, koaWrite.Status);

        var put = await ours.PutAsync("""{"count":10}""", configure: IfMatch(ETag(read)!));
        Assert.Equal(412, put.Status);
        Assert.Equal(ETagOf(await StoredAsync(ours)), ETag(put));
        Assert.Equal(2, (await ours.GetAsync()).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_rolling_read_is_one_getex_with_the_ttl_koa_would_set_even_for_a_remember_me_session()
    {
        using var api = SessionApiFactory.WithRedis(redis, ("Session:Rolling", "true"));
        var client = api.CreateSessionClient();
        await client.PostAsync(json: """{"count":1,"cookie":{"maxAge":2592000000}}""");
        var key = SessionKeys.Of(client.Jar["koa.sid"]);
        await redis.Database.KeyExpireAsync(key, TimeSpan.FromMinutes(1));
        var stored = await StoredAsync(client);

        var (read, commands) = await redis.WithCommandCountsAsync(() => client.GetAsync());

        Assert.Equal(200, read.Status);
        Assert.Equal(new Dictionary<string, long> { ["getex"] = 1 }, commands);
        Assert.Equal(stored, await StoredAsync(client)); // koa's re-save writes the same text
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync(key))!.Value.TotalSeconds, 2_591_990, 2_592_000);
        Assert.NotNull(read.SetCookie("koa.sid"));

        // An instance that never saw the session guesses the default TTL, and corrects it with one more command.
        using var cold = SessionApiFactory.WithRedis(redis, ("Session:Rolling", "true"));
        var (coldRead, coldCommands) = await redis.WithCommandCountsAsync(() => cold.CreateSessionClient(jar: client.Jar).GetAsync());
        Assert.Equal(200, coldRead.Status);
        Assert.Equal(new Dictionary<string, long> { ["getex"] = 1, ["expire"] = 1 }, coldCommands);
        Assert.InRange((await redis.Database.KeyTimeToLiveAsync(key))!.Value.TotalSeconds, 2_591_990, 2_592_000);
    }
}
