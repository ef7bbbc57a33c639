using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SessionFunctions.Extensibility;
using SessionFunctions.Http;
using SessionFunctions.Lifecycle;
using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests.Lifecycle;

/// <summary>
/// Each outcome of a save's write (<c>ConditionalWriteResult</c>: as expected, missing, replaced another value) and each
/// failure on the way, driven through HTTP against a <see cref="ScriptedSessionStore"/> that lets another writer in, or
/// fails, at an exact step. The rules: a failed operation changes no cookie and leaves the stored sessions as they
/// were; a create or regenerate that stores nothing never answers 2xx.
/// </summary>
public sealed partial class SessionLifecycleTests : IDisposable
{
    private const string Prefix = "koa:sess:";
    private readonly ScriptedSessionStore _store = new(TimeProvider.System);
    private readonly SessionApiFactory _api;
    private readonly SessionClient _client;

    public SessionLifecycleTests()
    {
        _api = SessionApiFactory.WithMemory(services => services.AddSingleton<ISessionStore>(_store));
        _client = _api.CreateSessionClient();
    }

    public void Dispose()
    {
        _client.Dispose();
        _api.Dispose();
        _store.Dispose();
    }

    private string Key => Prefix + _client.Jar["koa.sid"];

    private async Task<string> CreateAsync(string json = """{"count":1}""")
    {
        Assert.Equal(201, (await _client.PostAsync(json: json)).Status);
        _store.Calls.Clear();
        return Key;
    }

    private static SessionStoreUnavailableException Outage() => new("down");

    [Fact]
    public async Task A_save_that_finds_what_it_expected_is_one_write()
    {
        var key = await CreateAsync();

        var put = await _client.PutAsync("""{"count":2}""");

        Assert.Equal(200, put.Status);
        Assert.Equal(["replace"], _store.Calls); // remembered, so no read first
        Assert.Contains("\"count\":2", _store[key]);
    }

    [Fact]
    public async Task A_save_whose_session_was_removed_after_its_read_answers_409_and_brings_nothing_back()
    {
        var key = await CreateAsync();
        using var cold = SessionApiFactory.WithMemory(services => services.AddSingleton<ISessionStore>(_store), ("Session:RecentSessions", "0"));
        using var client = cold.CreateSessionClient(jar: _client.Jar);
        _store.BeforeReplace.Enqueue((store, k) => store[k] = null);

        var put = await client.PutAsync("""{"count":2}""");

        Assert.Equal(409, put.Status);
        Assert.Equal(SessionProblem.Conflict.Type, put.ProblemType);
        Assert.Empty(put.SetCookies);
        Assert.Null(_store[key]);
        Assert.Equal(0, _store.Count);
    }

    [Fact]
    public async Task A_save_from_a_memory_of_a_removed_session_reads_and_starts_a_new_one()
    {
        var key = await CreateAsync();
        _store[key] = null; // removed elsewhere; this instance still remembers it

        var put = await _client.PutAsync("""{"count":2}""");

        Assert.Equal(201, put.Status);
        // The compare-and-set found nothing: no read is needed to learn that.
        Assert.Equal(["replace", "create"], _store.Calls);
        Assert.NotEqual(key, Key); // never the client's id
        Assert.Contains("\"count\":2", _store[Key]);
    }

    [Fact]
    public async Task A_save_that_finds_an_unreadable_value_writes_nothing_over_it_and_keeps_the_session()
    {
        var key = await CreateAsync();
        _store.BeforeReplace.Enqueue((store, k) => store[k] = "not json");

        var put = await _client.PutAsync("""{"count":2}""");

        // Another writer (Koa, say) left text this API cannot read: nothing is written over it, no new session replaces
        // it, and the cookies stay, so the other app keeps its session (409 session-unreadable).
        Assert.Equal(409, put.Status);
        Assert.DoesNotContain("create", _store.Calls);
        Assert.Equal("not json", _store[key]);
        Assert.Equal(key, Key);
    }

    [Fact]
    public async Task A_save_that_finds_another_writers_value_writes_nothing_and_applies_its_edit_again_to_that_value()
    {
        var key = await CreateAsync();
        var other = _store[key]!.Replace("\"maxAge\":86400000", "\"maxAge\":3600000", StringComparison.Ordinal).Replace("\"count\":1", "\"count\":7", StringComparison.Ordinal);
        _store.BeforeReplace.Enqueue((store, k) => store[k] = other);

        var put = await _client.PutAsync("""{"count":2}""");

        Assert.Equal(200, put.Status);
        Assert.Equal(["replace", "replace"], _store.Calls);
        Assert.Equal(other.Replace("\"count\":7", "\"count\":2", StringComparison.Ordinal), _store[key]);
    }

    [Fact]
    public async Task A_save_that_keeps_meeting_other_writers_retries_through_its_budget_then_answers_409()
    {
        var key = await CreateAsync();
        // Another instance wins every compare-and-set, for longer than the budget.
        for (var i = 0; i < 10_000; i++)
        {
            var maxAge = 3_600_000 + i;
            _store.BeforeReplace.Enqueue((store, k) => store[k] = MaxAge().Replace(store[k]!, $"\"maxAge\":{maxAge}"));
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var put = await _client.PutAsync("""{"count":2}""");

        Assert.Equal(409, put.Status);
        Assert.InRange(clock.Elapsed, ConflictRetry.Budget / 2, ConflictRetry.Budget * 5);
        Assert.True(_store.Calls.Count >= 3, $"only {_store.Calls.Count} attempts");
        Assert.All(_store.Calls, call => Assert.Equal("replace", call));
        Assert.Contains("kept changing", put.Json["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("\"count\":2", _store[key], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_save_that_meets_another_writer_a_few_times_retries_and_succeeds()
    {
        var key = await CreateAsync();
        for (var i = 0; i < 5; i++)
        {
            var maxAge = 3_600_000 + i;
            _store.BeforeReplace.Enqueue((store, k) => store[k] = MaxAge().Replace(store[k]!, $"\"maxAge\":{maxAge}"));
        }

        var put = await _client.PutAsync("""{"count":2}""");

        Assert.Equal(200, put.Status);
        Assert.Equal(6, _store.Calls.Count);
        Assert.Contains("\"count\":2", _store[key], StringComparison.Ordinal);
        Assert.Contains("\"maxAge\":3600004", _store[key], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_create_deletes_the_session_it_replaces_only_after_storing_the_new_one()
    {
        var old = await CreateAsync();

        Assert.Equal(201, (await _client.PostAsync(json: """{"count":9}""")).Status);

        Assert.Equal(["create", "destroy"], _store.Calls);
        Assert.Null(_store[old]);
    }

    [Fact]
    public async Task A_create_whose_delete_of_the_replaced_session_fails_changes_nothing()
    {
        var old = await CreateAsync();
        using var api = SessionApiFactory.WithMemory(services => services.AddSingleton<ISessionStore>(_store), ("Session:ReconnectTimeout", "100"));
        using var client = api.CreateSessionClient(jar: _client.Jar);
        _store.FailDestroy = Outage();

        var post = await client.PostAsync(json: """{"count":9}""");

        // The new session could not be taken back out either: no client has its id, and its TTL ends it.
        Assert.Equal(503, post.Status);
        Assert.Empty(post.SetCookies);
        Assert.NotNull(_store[old]);
        Assert.Equal("create", _store.Calls[0]); // stored first, then only deletes were tried
        Assert.All(_store.Calls.Skip(1), call => Assert.Equal("destroy", call));
    }

    [Fact]
    public async Task A_regenerate_whose_new_session_cannot_be_stored_keeps_the_old_one()
    {
        var old = await CreateAsync();
        using var api = SessionApiFactory.WithMemory(services => services.AddSingleton<ISessionStore>(_store), ("Session:ReconnectTimeout", "100"));
        using var client = api.CreateSessionClient(jar: _client.Jar);
        _store.FailCreate = Outage();

        var regenerate = await client.RegenerateAsync();

        Assert.Equal(503, regenerate.Status);
        Assert.Equal(SessionProblem.StoreUnavailable.Type, regenerate.ProblemType);
        Assert.Empty(regenerate.SetCookies);
        Assert.NotNull(_store[old]);
        Assert.DoesNotContain(_store.Calls, call => call.StartsWith("destroy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_regenerate_that_loses_to_a_concurrent_one_answers_409_and_leaves_only_the_winner()
    {
        var old = await CreateAsync();
        var winner = Prefix + "the-winners-new-id";
        // The other regenerate stores its new session and deletes the old one between this one's create and delete.
        _store.BeforeDestroy.Enqueue((store, k) =>
        {
            store[winner] = store[k];
            store[k] = null;
        });

        var regenerate = await _client.RegenerateAsync();

        Assert.Equal(409, regenerate.Status);
        Assert.Equal(SessionProblem.Conflict.Type, regenerate.ProblemType);
        Assert.Empty(regenerate.SetCookies); // the winner's cookies stand
        Assert.Null(_store[old]);
        Assert.NotNull(_store[winner]);
        Assert.Equal(1, _store.Count); // this request's new session was taken back out
    }

    [Fact]
    public async Task A_regenerate_that_finds_its_session_gone_leaves_the_cookies_alone()
    {
        // A double-submitted login: the other request won, deleted this session and set new cookies; clearing them here
        // would log the user out.
        var key = await CreateAsync();
        _store[key] = null;

        var regenerate = await _client.RegenerateAsync();

        Assert.Equal(404, regenerate.Status);
        Assert.Empty(regenerate.SetCookies);
    }

    [Fact]
    public async Task A_remove_that_fails_keeps_the_cookies_and_the_session()
    {
        var key = await CreateAsync();
        using var api = SessionApiFactory.WithMemory(services => services.AddSingleton<ISessionStore>(_store), ("Session:ReconnectTimeout", "100"));
        using var client = api.CreateSessionClient(jar: _client.Jar);
        _store.FailDestroy = Outage();

        var remove = await client.DeleteAsync();

        Assert.Equal(503, remove.Status);
        Assert.Empty(remove.SetCookies);
        Assert.False(remove.Headers.Contains("Clear-Site-Data"));
        Assert.NotNull(_store[key]);
    }

    [Fact]
    public async Task An_id_generator_that_keeps_colliding_is_a_bug_not_a_store_error()
    {
        var handler = new CountingErrorHandler();
        using var api = SessionApiFactory.WithMemory(services =>
        {
            services.AddSingleton<ISessionStore>(_store);
            services.AddSingleton<ISessionIdGenerator>(new ConstantIdGenerator());
            services.AddSingleton<ISessionErrorHandler>(handler);
        });
        using var client = api.CreateSessionClient();
        Assert.Equal(201, (await client.PostAsync(json: """{"a":1}""")).Status);

        var second = await api.CreateSessionClient().PostAsync(json: """{"a":2}""");

        Assert.Equal(500, second.Status);
        Assert.Equal(0, handler.Calls);
    }

    [System.Text.RegularExpressions.GeneratedRegex("\"maxAge\":\\d+")]
    private static partial System.Text.RegularExpressions.Regex MaxAge();

    private sealed class ConstantIdGenerator : ISessionIdGenerator
    {
        public ValueTask<string> GenerateAsync(HttpContext http) => ValueTask.FromResult("always-the-same");
    }

    private sealed class CountingErrorHandler : ISessionErrorHandler
    {
        public int Calls { get; private set; }

        public void OnStoreError(Exception error, SessionStoreOperation operation, HttpContext http) => Calls++;
    }
}
