using StackExchange.Redis;

namespace SessionFunctions.Redis;

/// <summary>
/// koa-redis: each session is a Redis string holding its JSON. One command per operation: <c>GET</c>, <c>SET … EX … NX|XX</c>
/// (koa-redis uses <c>SETEX</c>; the NX/XX condition keeps a new session from overwriting another and a save from
/// resurrecting a removed one), and <c>DEL</c>. Connection failures become <see cref="SessionStoreUnavailableException"/>.
/// </summary>
public sealed class RedisSessionStore(RedisConnection connection) : ISessionStore
{
    public Task<string?> GetAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(async database => (string?)await database.StringGetAsync(key));

    public Task<bool> SetAsync(string key, string value, TimeSpan ttl, StoreWriteCondition condition, CancellationToken cancellationToken) =>
        RunAsync(database => database.StringSetAsync(key, value, ttl, condition == StoreWriteCondition.KeyAbsent ? When.NotExists : When.Exists));

    public Task DestroyAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(database => database.KeyDeleteAsync(key));

    private async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> command)
    {
        try
        {
            var result = await command(await connection.GetDatabaseAsync());
            connection.OnSuccess();
            return result;
        }
        catch (Exception error) when (error is RedisConnectionException or TimeoutException or ObjectDisposedException)
        {
            connection.OnConnectionError();
            throw new SessionStoreUnavailableException("Redis is unreachable: " + error.Message, error);
        }
        catch (RedisException error)
        {
            // Server errors (LOADING, READONLY during a failover, NOAUTH while a token refreshes) pass; retrying is right.
            throw new SessionStoreUnavailableException("Redis refused the command: " + error.Message, error);
        }
    }
}
