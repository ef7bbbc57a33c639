using System.Text.Json.Nodes;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// Non-ASCII sessions shared with a real Koa app stay the same text on both sides: emoji and CJK are stored as raw
/// UTF-8, as <c>JSON.stringify</c> writes them, and a lone surrogate that only JavaScript can put in a string (Koa may
/// store one) is read, saved and regenerated here and written back exactly as Koa wrote it.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class UnicodeInteropTests(RedisServer redis)
{
    private async Task<string> StoredAsync(Dictionary<string, string> jar) => (string)(await redis.Database.StringGetAsync(SessionKeys.Of(jar["koa.sid"])))!;

    [Fact]
    public async Task Emoji_and_cjk_are_stored_byte_for_byte_as_koa_stores_them_on_both_sides()
    {
        await using var koa = await KoaApp.StartAsync(redis.Port, [.. SessionApiFactory.TestKeys]);
        using var api = SessionApiFactory.WithRedis(redis);
        var jar = new Dictionary<string, string>(StringComparer.Ordinal);
        const string Fields = """{"name":"Zoë 😀","city":"東京","note":"a\"b\\c\n\u0001"}""";

        // Koa stores it, we save it unchanged apart from one field, and Koa's text for the same object is ours.
        Assert.Equal(200, (await koa.CreateClient(jar).PostAsync("/session/merge", Fields)).Status);
        var koaText = await StoredAsync(jar);
        Assert.Contains("Zoë 😀", koaText, StringComparison.Ordinal);
        Assert.Contains("東京", koaText, StringComparison.Ordinal);
        Assert.Equal(200, (await api.CreateSessionClient(jar: jar).PatchAsync("""{"extra":1}""")).Status);
        Assert.Equal(koaText[..^1] + ""","extra":1}""", await StoredAsync(jar));

        // And the other way: what we store, Koa re-saves to the very same text.
        var ours = api.CreateSessionClient();
        Assert.Equal(201, (await ours.PostAsync(json: Fields)).Status);
        var ourText = await StoredAsync(ours.Jar);
        Assert.Equal(200, (await koa.CreateClient(ours.Jar).PostAsync("/session/increment")).Status);
        Assert.Equal(ourText[..^1] + ""","count":1}""", await StoredAsync(ours.Jar));
    }

    [Fact]
    public async Task A_lone_surrogate_koa_stored_is_read_saved_and_regenerated_and_written_back_as_koa_wrote_it()
    {
        await using var koa = await KoaApp.StartAsync(redis.Port, [.. SessionApiFactory.TestKeys]);
        using var api = SessionApiFactory.WithRedis(redis);
        var jar = new Dictionary<string, string>(StringComparer.Ordinal);
        // JSON.parse makes a lone surrogate of "\ud800", and JSON.stringify writes it back escaped.
        Assert.Equal(200, (await koa.CreateClient(jar).PostAsync("/session/merge", """{"odd":"a\ud800b","\udc00key":1}""")).Status);
        var koaText = await StoredAsync(jar);
        Assert.Contains("""a\ud800b""", koaText, StringComparison.Ordinal);
        var client = api.CreateSessionClient(jar: jar);

        var read = await client.GetAsync();
        Assert.Equal(200, read.Status);
        Assert.Equal(koaText, read.Body);

        Assert.Equal(200, (await client.PatchAsync("""{"count":1}""")).Status);
        Assert.Equal(koaText[..^1] + ""","count":1}""", await StoredAsync(jar));

        var regenerated = await client.RegenerateAsync();
        Assert.Equal(200, regenerated.Status);
        Assert.Contains("""a\ud800b""", await StoredAsync(jar), StringComparison.Ordinal);
        Assert.Equal(200, (await koa.CreateClient(jar).GetAsync("/session")).Status);
    }
}
