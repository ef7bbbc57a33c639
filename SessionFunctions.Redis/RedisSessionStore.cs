using StackExchange.Redis;

namespace SessionFunctions.Redis;

/// <summary>
/// koa-redis: each session is a Redis string holding its JSON. One command per operation: <c>GET</c>,
/// <c>SET … EX … NX</c> to create, <c>SET … EX … XX GET</c> to replace, and <c>DEL</c>. koa-redis uses <c>SETEX</c>; the
/// NX/XX conditions keep a new session from overwriting another and a save from resurrecting a removed one, and GET
/// returns what a save replaced, so the caller can tell whether it replaced what it expected.
/// Connection failures become <see cref="SessionStoreUnavailableException"/>.
/// </summary>
internal sealed class RedisSessionStore(RedisConnection connection) : ISessionStore
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

    public Task<bool> DestroyAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(database => database.KeyDeleteAsync(key));

    // The TtlPolicy already rounds to whole seconds, at least one.
    private static long Seconds(TimeSpan ttl) => (long)ttl.TotalSeconds;

    private async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> command)
    {
        IDatabase database;
        try
        {
            database = await connection.GetDatabaseAsync();
        }
        catch (Exception error) when (error is not OperationCanceledException and not ObjectDisposedException)
        {
            // Making the connection failed: the server is down, or its options could not be made (in Azure, the
            // managed identity's token could not be had). Either way Redis cannot be reached yet, and may be soon.
            connection.OnConnectionError();
            throw new SessionStoreUnavailableException("Redis could not be connected: " + error.Message, error);
        }
        try
        {
            var result = await command(database);
            connection.OnSuccess();
            return result;
        }
        catch (Exception error) when (error is RedisConnectionException or TimeoutException)
        {
            connection.OnConnectionError();
            throw new SessionStoreUnavailableException("Redis is unreachable: " + error.Message, error);
        }
        catch (RedisServerException error)
        {
            // An error reply (OOM, READONLY, WRONGTYPE …): the server is there and said no; waiting will not change that soon.
            connection.OnSuccess();
            throw new SessionStoreErrorException(error.Message.Split(' ', 2)[0], "Redis answered: " + error.Message, error);
        }
    }
}
