using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SessionFunctions.Http;
using SessionFunctions.Redis;
using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;
using StackExchange.Redis;

namespace SessionFunctions.Tests;

/// <summary>
/// How the Redis store classifies failures: making the connection (in Azure, getting an Entra ID token) is an outage
/// that is waited out, an error reply fails at once, and a disposed connection stays closed.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisConnectionTests(RedisServer redis)
{
    /// <summary>What Azure.Identity does when the managed identity's token cannot be had: throw from the options factory.</summary>
    private sealed class TokenUnavailableException() : Exception("ManagedIdentityCredential authentication failed.");

    [Fact]
    public async Task A_credential_that_throws_is_an_outage_503_with_retry_after_not_a_500()
    {
        var attempts = 0;
        using var api = SessionApiFactory.WithMemory(
            services => services.AddRedisSessionStore(_ =>
            {
                Interlocked.Increment(ref attempts);
                return Task.FromException<ConfigurationOptions>(new TokenUnavailableException());
            }),
            ("Session:ReconnectTimeout", "300"));
        using var client = api.CreateSessionClient();

        var create = await client.PostAsync(json: """{"a":1}""");

        Assert.Equal(503, create.Status);
        Assert.Equal(SessionProblem.StoreUnavailable.Type, create.ProblemType);
        Assert.Equal(TimeSpan.FromSeconds(1), create.Headers.RetryAfter!.Delta);
        Assert.Empty(create.SetCookies);
        Assert.True(attempts > 1, "the token is asked for again while the request waits, as for any outage");
    }

    [Fact]
    public async Task An_error_reply_fails_at_once_with_503_store_error_and_its_code()
    {
        var key = SessionKeys.Of("wrongtype-" + Guid.NewGuid().ToString("N"));
        await redis.Database.HashSetAsync(key, "field", "not a string");
        using var connection = new RedisConnection(
            () => Task.FromResult(ConfigurationOptions.Parse(redis.ConnectionString)), TimeProvider.System, NullLogger<RedisConnection>.Instance);
        var store = new RedisSessionStore(connection, TimeProvider.System);

        var error = await Assert.ThrowsAsync<SessionStoreErrorException>(() => store.GetAsync(key, default));

        Assert.Equal("WRONGTYPE", error.Code);
        Assert.Contains("WRONGTYPE", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_that_could_not_be_sent_is_an_outage_that_surely_did_not_run()
    {
        // Nothing listens on the port: the connection is never made, so no write can have reached Redis, and a retry may
        // take whatever it then finds for another writer's (SessionRepository trusts an equal value only after MayHaveRun).
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var connection = new RedisConnection(
            () => Task.FromResult(ConfigurationOptions.Parse($"127.0.0.1:{port},connectTimeout=300,abortConnect=false")), TimeProvider.System, NullLogger<RedisConnection>.Instance);
        var store = new RedisSessionStore(connection, TimeProvider.System);

        var error = await Assert.ThrowsAsync<SessionStoreUnavailableException>(() => store.ReplaceIfAsync(SessionKeys.Of("never-sent"), "0", "{}", TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow.AddMinutes(1), default));

        Assert.False(error.MayHaveRun, error.Message);
    }

    [Fact]
    public async Task A_disposed_connection_opens_no_new_one()
    {
        var connects = 0;
        var connection = new RedisConnection(() =>
        {
            Interlocked.Increment(ref connects);
            return Task.FromResult(ConfigurationOptions.Parse(redis.ConnectionString));
        }, TimeProvider.System, NullLogger<RedisConnection>.Instance);
        await connection.GetDatabaseAsync();

        connection.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(connection.GetDatabaseAsync);
        Assert.Equal(1, connects);
    }

    [Fact]
    public async Task Only_errors_that_last_the_threshold_and_are_still_recent_force_a_reconnect()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var connects = 0;
        using var connection = new RedisConnection(() =>
        {
            Interlocked.Increment(ref connects);
            return Task.FromResult(ConfigurationOptions.Parse(redis.ConnectionString));
        }, time, NullLogger<RedisConnection>.Instance);
        await connection.GetDatabaseAsync();
        time.Advance(RedisConnection.ReconnectMinInterval);

        // One error, then one more after a long quiet spell: not a lasting failure, as RedisCache judges it.
        connection.OnConnectionError();
        time.Advance(RedisConnection.ReconnectErrorThreshold * 2);
        connection.OnConnectionError();
        await connection.GetDatabaseAsync();
        Assert.Equal(1, connects);

        // Errors every few seconds for the whole threshold: replace the connection.
        for (var elapsed = TimeSpan.Zero; elapsed <= RedisConnection.ReconnectErrorThreshold; elapsed += TimeSpan.FromSeconds(5))
        {
            time.Advance(TimeSpan.FromSeconds(5));
            connection.OnConnectionError();
        }
        await connection.GetDatabaseAsync();
        Assert.Equal(2, connects);
    }
}
