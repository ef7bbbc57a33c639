using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using SessionFunctions.Cookies;
using SessionFunctions.Extensibility;
using SessionFunctions.Http;
using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>koa's reconnectTimeout: wait for an unavailable store, then answer 503 with Retry-After, never hang or 500.</summary>
public sealed class StoreOutageTests
{
    [Fact]
    public async Task A_redis_outage_gives_503_after_the_reconnect_timeout_and_the_service_recovers()
    {
        var redis = new RedisServer();
        await redis.InitializeAsync();
        try
        {
            using var api = SessionApiFactory.WithRedis(redis, ("Session:ReconnectTimeout", "1500"));
            var client = api.CreateSessionClient();
            Assert.Equal(201, (await client.PostAsync(json: """{"count":1}""")).Status);

            await redis.StopAsync();
            var watch = Stopwatch.StartNew();
            var response = await client.GetAsync();
            watch.Stop();
            Assert.Equal(503, response.Status);
            Assert.Equal(SessionProblem.StoreUnavailable.Type, response.ProblemType);
            Assert.Equal("2", response.Headers.RetryAfter?.ToString());
            Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(1.2), TimeSpan.FromSeconds(10));
            Assert.Equal(503, (await client.PutAsync("""{"count":2}""")).Status);
            Assert.Equal(503, (await client.DeleteAsync()).Status);

            await redis.StartAsync();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            int status;
            do status = (await client.PostAsync(json: """{"count":1}""")).Status;
            while (status == 503 && DateTime.UtcNow < deadline);
            Assert.Equal(201, status);
            Assert.Equal(200, (await client.GetAsync()).Status);
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_store_that_comes_back_within_the_timeout_serves_the_request()
    {
        var memory = new MemorySessionStore(TimeProvider.System);
        var failures = 0;
        var store = new Mock<ISessionStore>();
        store.Setup(s => s.GetAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Returns((string key, CancellationToken ct) => ++failures <= 3
                ? Task.FromException<string?>(new SessionStoreUnavailableException("down"))
                : memory.GetAsync(key, ct));
        store.Setup(s => s.CreateAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<TimeSpan>(), It.IsAny<DateTimeOffset>(), It.IsAny<CancellationToken>()))
            .Returns((string k, string v, TimeSpan t, DateTimeOffset deadline, CancellationToken ct) => memory.CreateAsync(k, v, t, deadline, ct));

        using var api = SessionApiFactory.WithMemory(services => services.AddSingleton(store.Object), ("Session:ReconnectTimeout", "5000"));
        var client = api.CreateSessionClient();
        Assert.Equal(201, (await client.PostAsync(json: """{"count":1}""")).Status);
        var response = await client.GetAsync();
        Assert.Equal(200, response.Status);
        Assert.Equal(4, failures);
    }

    [Fact]
    public async Task A_store_that_hangs_is_cut_off_at_the_timeout()
    {
        var store = new Mock<ISessionStore>();
        store.Setup(s => s.CreateAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<TimeSpan>(), It.IsAny<DateTimeOffset>(), It.IsAny<CancellationToken>()))
            .Returns(new TaskCompletionSource<bool>().Task);
        using var api = SessionApiFactory.WithMemory(services => services.AddSingleton(store.Object), ("Session:ReconnectTimeout", "300"));
        var response = await api.CreateSessionClient().PostAsync(json: "{}");
        Assert.Equal(503, response.Status);
        Assert.Equal("1", response.Headers.RetryAfter?.ToString());
    }

    [Fact]
    public async Task A_custom_error_handler_that_returns_degrades_a_read_to_no_session_and_a_write_to_503_without_cookies()
    {
        var store = new Mock<ISessionStore>();
        store.Setup(s => s.GetAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new SessionStoreUnavailableException("down"));
        store.Setup(s => s.CreateAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<TimeSpan>(), It.IsAny<DateTimeOffset>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new SessionStoreUnavailableException("down"));
        var handler = new Mock<ISessionErrorHandler>();
        using var api = SessionApiFactory.WithMemory(services =>
        {
            services.AddSingleton(store.Object);
            services.AddSingleton(handler.Object);
        }, ("Session:ReconnectTimeout", "100"));
        var client = api.CreateSessionClient();
        client.Jar["koa.sid"] = "abc";
        client.Jar["koa.sid.sig"] = new Keygrip(["keys"]).Sign("koa.sid=abc");

        var get = await client.GetAsync();
        Assert.Equal(404, get.Status);
        // The session may well exist: a read that failed must not clear the client's cookies.
        Assert.Empty(get.SetCookies);
        handler.Verify(h => h.OnStoreError(It.IsAny<SessionStoreUnavailableException>(), SessionStoreOperation.Get, It.IsAny<HttpContext>()), Times.Once);

        // Nothing was stored: never a 2xx, and no cookie for a session that does not exist.
        var put = await client.PutAsync("""{"a":1}""");
        Assert.Equal(503, put.Status);
        Assert.Equal(SessionProblem.NotStored.Type, put.ProblemType);
        Assert.NotNull(put.Headers.RetryAfter);
        Assert.Empty(put.SetCookies);
        handler.Verify(h => h.OnStoreError(It.IsAny<SessionStoreUnavailableException>(), SessionStoreOperation.Set, It.IsAny<HttpContext>()), Times.Once);
    }

    [Theory]
    [InlineData("/api/session")]
    [InlineData("/api/session/regenerate")]
    public async Task A_create_or_regenerate_that_a_returning_error_handler_cannot_store_answers_503_not_stored_and_keeps_the_old_session(string path)
    {
        // Reads and deletes work; once the session exists, every write of a new one fails.
        using var store = new ScriptedSessionStore(TimeProvider.System);
        var handler = new Mock<ISessionErrorHandler>();
        using var api = SessionApiFactory.WithMemory(services =>
        {
            services.AddSingleton<ISessionStore>(store);
            services.AddSingleton(handler.Object);
        }, ("Session:ReconnectTimeout", "100"));
        var client = api.CreateSessionClient();
        Assert.Equal(201, (await client.PostAsync(json: """{"nick":"ada"}""")).Status);
        var oldCookies = new Dictionary<string, string>(client.Jar);
        store.FailCreate = new SessionStoreUnavailableException("down");

        var response = await client.PostAsync(path, """{"nick":"grace"}""");

        // Nothing new was stored: never a 2xx, and not a single cookie, so the client keeps the session it has.
        Assert.Equal(503, response.Status);
        Assert.Equal(SessionProblem.NotStored.Type, response.ProblemType);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Empty(response.SetCookies);
        handler.Verify(h => h.OnStoreError(It.IsAny<SessionStoreUnavailableException>(), SessionStoreOperation.Set, It.IsAny<HttpContext>()), Times.Once);
        // The old session is deleted only once its replacement is stored, so here it is still there and still reads back.
        Assert.DoesNotContain("destroy", store.Calls);
        Assert.Equal(1, store.Count);
        Assert.Equal("ada", (await api.CreateSessionClient(jar: oldCookies).GetAsync()).Json["nick"]!.GetValue<string>());
    }
}
