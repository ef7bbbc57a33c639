using StackExchange.Redis;

namespace SessionFunctions.Redis;

/// <summary>
/// koa-redis: each session is a Redis string holding its JSON. One command per operation: <c>GET</c>,
/// <c>SET … EX … NX</c> to create, <c>SET … EX … XX GET</c> to replace, and <c>DEL</c>. koa-redis uses <c>SETEX</c>; the
/// NX/XX conditions keep a new session from overwriting another and a save from resurrecting a removed one, and GET
/// returns what a save replaced, so the caller can tell whether it replaced what it expected.
/// Connection failures become <see cref="SessionStoreUnavailableException"/>.
/// </summary>
public sealed class RedisSessionStore(RedisConnection connection) : ISessionStore
{
    // SET's GET option came with Redis 6.2; older servers (Azure Cache for Redis 6.0) answer "syntax error", and then
    // MULTI GET SET EXEC does the same atomically in one round trip, with two more commands.
    private volatile bool _replaceInTransaction;

    /// <summary>Replace with MULTI/EXEC from the start, as on a server older than Redis 6.2 (for tests).</summary>
    internal RedisSessionStore(RedisConnection connection, bool replaceInTransaction) : this(connection) =>
        _replaceInTransaction = replaceInTransaction;

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(async database => (string?)await database.StringGetAsync(key));

    public Task<bool> CreateAsync(string key, string value, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync(database => database.StringSetAsync(key, value, ttl, When.NotExists));

    public Task<string?> ReplaceAsync(string key, string value, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync(async database =>
        {
            if (!_replaceInTransaction)
            {
                try
                {
                    var replaced = await database.ExecuteAsync("SET", (RedisKey)key, value, "EX", Seconds(ttl), "XX", "GET");
                    return replaced.IsNull ? null : (string?)replaced;
                }
                catch (RedisServerException error) when (error.Message.Contains("syntax error", StringComparison.OrdinalIgnoreCase))
                {
                    _replaceInTransaction = true;
                }
            }
            var transaction = database.CreateTransaction();
            var get = transaction.StringGetAsync(key);
            _ = transaction.StringSetAsync(key, value, ttl, When.Exists);
            await transaction.ExecuteAsync();
            return (string?)await get;
        });

    public Task DestroyAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(database => database.KeyDeleteAsync(key));

    private static long Seconds(TimeSpan ttl) => Math.Max(1, (long)Math.Ceiling(ttl.TotalSeconds));

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
