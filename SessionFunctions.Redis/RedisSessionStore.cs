using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace SessionFunctions.Redis;

/// <summary>
/// koa-redis: each session is a Redis string holding its JSON. One round trip per operation: <c>GET</c>;
/// <c>GETEX … EX</c> for a rolling read; <c>SET … EX … NX</c> to create; a compare-and-set script (<c>EVALSHA</c>) to
/// save, which writes only over the value the save started from; <c>DEL</c>, or a compare-and-delete script.
/// koa-redis uses <c>SETEX</c>; the conditions keep a new session from overwriting another, a save from resurrecting a
/// removed one, and a save from ever showing a value computed from a stale one. Every key is one hash slot, so all of
/// it works on Redis Cluster. Connection failures become <see cref="SessionStoreUnavailableException"/>, error replies
/// <see cref="SessionStoreErrorException"/>.
/// </summary>
internal sealed class RedisSessionStore(RedisConnection connection) : ISessionStore, ISessionUserIndexStore
{
    // The user index (Session:UserIdPath). KEYS[1] the user's hash; ARGV[1] the sid; ARGV[2] its entry, "created seen label";
    // ARGV[3] the TTL. An entry it already has keeps its created time and label; the key lives at least as long as the session.
    private static readonly RedisScript Index = new("""
        local entry = ARGV[2]
        local old = redis.call('HGET', KEYS[1], ARGV[1])
        if old then
          local created, label = string.match(old, '^(%d+) %d+ (.*)$')
          local seen = string.match(entry, '^%d+ (%d+) ')
          if created and seen then entry = created .. ' ' .. seen .. ' ' .. label end
        end
        redis.call('HSET', KEYS[1], ARGV[1], entry)
        if redis.call('TTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
        return 1
        """);

    // KEYS[1] the user's hash; ARGV[1] the sid; ARGV[2] Unix ms: removes the member unless a save re-indexed it after then.
    private static readonly RedisScript UnindexIf = new("""
        local old = redis.call('HGET', KEYS[1], ARGV[1])
        if not old then return 0 end
        local seen = tonumber(string.match(old, '^%d+ (%d+) '))
        if seen and seen > tonumber(ARGV[2]) then return 0 end
        return redis.call('HDEL', KEYS[1], ARGV[1])
        """);

    // KEYS[1] the session; ARGV[1] the SHA-1 of the value the save started from; ARGV[2] the new value; ARGV[3] the TTL.
    // nil: no such key; {0, value}: it holds another value; {1}: written.
    private static readonly RedisScript ReplaceIf = new("""
        local current = redis.call('GET', KEYS[1])
        if not current then return false end
        if redis.sha1hex(current) ~= ARGV[1] then return {0, current} end
        redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
        return {1}
        """);

    // The same check, then DEL.
    private static readonly RedisScript DestroyIf = new("""
        local current = redis.call('GET', KEYS[1])
        if not current then return false end
        if redis.sha1hex(current) ~= ARGV[1] then return {0, current} end
        redis.call('DEL', KEYS[1])
        return {1}
        """);

    // GETEX came with Redis 6.2; on older servers (Azure Cache for Redis 6.0) this does the same in one round trip.
    private static readonly RedisScript GetAndExpire = new("""
        local current = redis.call('GET', KEYS[1])
        if current then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
        return current
        """);

    private volatile bool _noGetEx;

    /// <summary>Read-and-touch with the script from the start, as on a server older than Redis 6.2 (for tests).</summary>
    internal RedisSessionStore(RedisConnection connection, bool olderThanRedis62) : this(connection) => _noGetEx = olderThanRedis62;

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(async database => (string?)await database.StringGetAsync(key));

    public Task<string?> GetAndTouchAsync(string key, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync(async database =>
        {
            if (!_noGetEx)
            {
                try
                {
                    var value = await database.ExecuteAsync("GETEX", (RedisKey)key, "EX", Seconds(ttl));
                    return value.IsNull ? null : (string?)value;
                }
                catch (RedisServerException error) when (error.Message.Contains("unknown command", StringComparison.OrdinalIgnoreCase))
                {
                    _noGetEx = true;
                }
            }
            var result = await EvaluateAsync(database, GetAndExpire, key, Seconds(ttl));
            return result.IsNull ? null : (string?)result;
        });

    public Task<bool> TouchAsync(string key, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync(database => database.KeyExpireAsync(key, ttl));

    public Task<bool> CreateAsync(string key, string value, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync(database => database.StringSetAsync(key, value, ttl, When.NotExists));

    public Task<SessionStoreWrite> ReplaceIfAsync(string key, string expectedHash, string value, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync(async database => Write(await EvaluateAsync(database, ReplaceIf, key, expectedHash, value, Seconds(ttl))));

    public Task<bool> DestroyAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(database => database.KeyDeleteAsync(key));

    public Task<SessionStoreWrite> DestroyIfAsync(string key, string expectedHash, CancellationToken cancellationToken) =>
        RunAsync(async database => Write(await EvaluateAsync(database, DestroyIf, key, expectedHash)));

    Task ISessionUserIndexStore.IndexAsync(string indexKey, string sessionId, UserIndexEntry entry, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync(database => EvaluateAsync(database, Index, indexKey, sessionId, entry.Format(), Seconds(ttl)));

    Task<IReadOnlyDictionary<string, string>> ISessionUserIndexStore.MembersAsync(string indexKey, CancellationToken cancellationToken) =>
        RunAsync(async database => (IReadOnlyDictionary<string, string>)(await database.HashGetAllAsync(indexKey))
            .ToDictionary(e => (string)e.Name!, e => (string)e.Value!, StringComparer.Ordinal));

    Task ISessionUserIndexStore.UnindexAsync(string indexKey, string sessionId, CancellationToken cancellationToken) =>
        RunAsync(database => database.HashDeleteAsync(indexKey, sessionId));

    Task ISessionUserIndexStore.UnindexIfSeenAtMostAsync(string indexKey, string sessionId, long seenAtMost, CancellationToken cancellationToken) =>
        RunAsync(database => EvaluateAsync(database, UnindexIf, indexKey, sessionId, seenAtMost));

    // The TtlPolicy already rounds to whole seconds, at least one.
    private static long Seconds(TimeSpan ttl) => (long)ttl.TotalSeconds;

    private static SessionStoreWrite Write(RedisResult result)
    {
        if (result.IsNull) return SessionStoreWrite.Missing;
        var reply = (RedisResult[])result!;
        return reply.Length == 1 ? SessionStoreWrite.Done : SessionStoreWrite.Changed((string)reply[1]!);
    }

    /// <summary>
    /// <c>EVALSHA</c> of a script's hash; a server that does not know it yet (a new node, a restart, <c>SCRIPT FLUSH</c>)
    /// answers <c>NOSCRIPT</c>, and then <c>EVAL</c> runs and loads it, once.
    /// </summary>
    private static async Task<RedisResult> EvaluateAsync(IDatabase database, RedisScript script, string key, params RedisValue[] arguments)
    {
        RedisKey[] keys = [key];
        try
        {
            return await database.ScriptEvaluateAsync(script.Sha1, keys, arguments);
        }
        catch (RedisServerException error) when (error.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await database.ScriptEvaluateAsync(script.Text, keys, arguments);
        }
    }

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
            throw new SessionStoreUnavailableException("Redis could not be connected: " + error.Message, error) { MayHaveRun = false };
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
            throw new SessionStoreUnavailableException("Redis is unreachable: " + error.Message, error) { MayHaveRun = MayHaveRun(error) };
        }
        catch (RedisServerException error)
        {
            // An error reply (OOM, READONLY, WRONGTYPE …): the server is there and said no; waiting will not change that soon.
            connection.OnSuccess();
            throw new SessionStoreErrorException(error.Message.Split(' ', 2)[0], "Redis answered: " + error.Message, error);
        }
    }

    /// <summary>
    /// Whether a failed command may have reached Redis: not while StackExchange.Redis still held it, in its backlog or
    /// waiting to be written.
    /// </summary>
    private static bool MayHaveRun(Exception error)
    {
        var status = error switch
        {
            RedisConnectionException connectionError => connectionError.CommandStatus,
            RedisTimeoutException timeout => timeout.Commandstatus,
            _ => CommandStatus.Unknown,
        };
        return status is not (CommandStatus.WaitingToBeSent or CommandStatus.WaitingInBacklog);
    }

    /// <summary>A Lua script and the SHA-1 that <c>EVALSHA</c> names it by.</summary>
    private sealed class RedisScript(string text)
    {
        public string Text { get; } = text;

        public byte[] Sha1 { get; } = SHA1.HashData(Encoding.UTF8.GetBytes(text));
    }
}
