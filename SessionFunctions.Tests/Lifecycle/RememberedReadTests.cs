using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionFunctions.Cookies;
using SessionFunctions.Http;
using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests.Lifecycle;

/// <summary>
/// A read whose text is what this instance last wrote takes the hash and cookie options from memory instead of hashing
/// and reading them again. It must still answer exactly as a read of unknown text would.
/// </summary>
public sealed class RememberedReadTests : IDisposable
{
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly ScriptedSessionStore _store;
    private readonly CollectingLoggerProvider _logs = new();
    private readonly SessionApiFactory _api;
    private readonly SessionClient _client;

    public RememberedReadTests()
    {
        _store = new ScriptedSessionStore(_time);
        _api = SessionApiFactory.WithMemory(
            services => services.AddSingleton<ISessionStore>(_store).AddSingleton<TimeProvider>(_time).AddSingleton<ILoggerProvider>(_logs),
            ("Logging:LogLevel:SessionFunctions", "Debug"));
        _client = _api.CreateSessionClient();
    }

    /// <summary>What the last read from the store said of itself (the SessionLoaded debug event).</summary>
    private string LastLoad() => _logs.Entries.Last(e => e.Event.Name == "SessionLoaded").Message;

    public void Dispose()
    {
        _client.Dispose();
        _api.Dispose();
        _store.Dispose();
    }

    [Fact]
    public async Task A_remembered_session_past_its_cookie_expires_is_gone_even_if_its_key_lives_on()
    {
        Assert.Equal(201, (await _client.PostAsync(json: "{}")).Status);
        var expires = SessionCookie.FormatDate(_time.GetUtcNow().AddMinutes(1));
        Assert.Equal(200, (await _client.PutAsync($$$"""{"n":1,"cookie":{"maxAge":null,"expires":"{{{expires}}}"}}""")).Status);
        var key = SessionKeys.Of(_client.Jar["koa.sid"]);
        // Koa re-saved the same text with a longer TTL: the key outlives the cookie's expires.
        _store[key] = _store[key];

        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(404, (await _client.GetAsync()).Status);
        // The text is the remembered one, so only the remembered cookie's expires can have said "gone".
        Assert.Equal("Session loaded from the store (found: False, as remembered: True).", LastLoad());
    }

    [Fact]
    public async Task The_etag_of_a_read_is_the_hash_of_the_text_read_whether_remembered_or_not()
    {
        var created = await _client.PostAsync(json: """{"n":1}""");
        var key = SessionKeys.Of(_client.Jar["koa.sid"]);
        var remembered = await _client.GetAsync();
        Assert.Equal("Session loaded from the store (found: True, as remembered: True).", LastLoad());
        Assert.Equal(EntityTags.Of(SessionHash.Of(_store[key]!)), remembered.Headers.ETag?.Tag);
        Assert.Equal(created.Headers.ETag?.Tag, remembered.Headers.ETag?.Tag);

        // Another writer changes one character: the text no longer matches what is remembered.
        _store[key] = _store[key]!.Replace("\"n\":1", "\"n\":2", StringComparison.Ordinal);
        var changed = await _client.GetAsync();
        Assert.Equal("Session loaded from the store (found: True, as remembered: False).", LastLoad());

        Assert.Equal(EntityTags.Of(SessionHash.Of(_store[key]!)), changed.Headers.ETag?.Tag);
        Assert.NotEqual(remembered.Headers.ETag?.Tag, changed.Headers.ETag?.Tag);
        Assert.Equal(2, changed.Json["n"]!.GetValue<int>());
    }
}
