using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Storage;
using StackExchange.Redis;

namespace SessionFunctions.Redis;

/// <summary>
/// koa-redis: each session is a Redis string holding its JSON. One round trip per operation: <c>GET</c>;
/// <c>GETEX … EX</c> for a rolling read; a script (<c>EVALSHA</c>) for every write: create (<c>SET … EX … NX</c>), a
/// compare-and-set save that writes only over the value the save started from, delete (<c>DEL</c>), and
/// compare-and-delete. koa-redis uses <c>SETEX</c>; the conditions keep a new session from overwriting another, a save
/// from resurrecting a removed one, and a save from ever showing a value computed from a stale one. Every key is one
/// hash slot, so all of it works on Redis Cluster. Connection failures become <see cref="SessionStoreUnavailableException"/>,
/// error replies <see cref="SessionStoreErrorException"/>.
/// </summary>
/// <remarks>
/// <para>
/// Every write script first reads Redis's clock (<c>TIME</c>) and writes nothing once the write's deadline has passed:
/// a command that waited in the socket of a paused or slow server, or in the client's backlog, until after the API gave
/// up on it and answered 503 must not take effect later. It replies with a <c>DEADLINE</c> error, which becomes
/// <see cref="SessionStoreUnavailableException"/> with <see cref="SessionStoreUnavailableException.MayHaveRun"/> false:
/// it provably did not run. Scripts may write after <c>TIME</c> because Redis replicates their effects, not the script
/// (always on Redis 7; the default on 5 and 6, and <c>redis.replicate_commands()</c> asks for it there).
/// </para>
/// <para>
/// The deadline is on the app's clock and Redis compares it with its own, so the store sends it
/// <see cref="DeadlineMargin"/> early: that covers the two clocks disagreeing and the reply's way back to the waiting
/// request (network, the client's reader, a busy thread pool), so that a write Redis lets through is answered before
/// the API gives up. The margin is at most a quarter of <c>Session:ReconnectTimeout</c> and the same for every attempt:
/// a write with less than the margin left is not sent at all (unavailable, surely not run).
/// <c>GETEX</c> and <c>EXPIRE</c> only push a live key's expiry out and cannot bring a removed key back, so they take no
/// deadline. See docs/write-deadlines.md.
/// </para>
/// </remarks>
internal sealed partial class RedisSessionStore(RedisConnection connection, TimeProvider time, IOptions<SessionApiOptions> options) : ISessionStore
{
    /// <summary>
    /// How much earlier than the API gives up Redis must have run a write: clock skew between the app and Redis (NTP
    /// typically keeps servers within a few ms of each other, tens at worst) plus the reply's way back to the waiting
    /// request (the network, the client's reader, then a thread-pool thread, which a loaded host can delay by tens of ms).
    /// 250 ms is well past both together, and 2.5 % of the default ReconnectTimeout (10 s).
    /// </summary>
    internal static readonly TimeSpan DeadlineMargin = TimeSpan.FromMilliseconds(250);

    // At most a quarter of the whole wait, so a short Session:ReconnectTimeout still leaves Redis most of it; fixed for
    // every attempt of an operation, so a late retry never narrows it.
    private readonly TimeSpan _margin = TimeSpan.FromMilliseconds(Math.Min(DeadlineMargin.TotalMilliseconds, options.Value.ReconnectTimeout / 4.0));

    /// <summary>A store with the default options (tests that make it by hand).</summary>
    internal RedisSessionStore(RedisConnection connection, TimeProvider time) : this(connection, time, Options.Create(new SessionApiOptions()))
    {
    }

    // Every write script starts here: ARGV[1] is the deadline, Unix ms on Redis's clock. It writes nothing once that has
    // passed, and the error reply says so (RunAsync turns it into "unavailable, did not run").
    private const string DeadlineCheck = """
        redis.replicate_commands()
        local now = redis.call('TIME')
        if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) >= tonumber(ARGV[1]) then
          return redis.error_reply('DEADLINE the write reached Redis after the caller gave up on it; nothing was written')
        end

        """;

    private const string DeadlineError = "DEADLINE";

    // KEYS[1] the session; ARGV[2] its value; ARGV[3] the TTL. 1: created; 0: the key exists (nothing written).
    private static readonly RedisScript Create = new(DeadlineCheck + """
        if redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3], 'NX') then return 1 end
        return 0
        """);

    // KEYS[1] the session: the number of keys deleted (0 or 1).
    private static readonly RedisScript Destroy = new(DeadlineCheck + """
        return redis.call('DEL', KEYS[1])
        """);

    // KEYS[1] the session; ARGV[2] the SHA-1 of the value the save started from; ARGV[3] the new value; ARGV[4] the TTL.
    // nil: no such key; {0, value}: it holds another value; {1}: written.
    private static readonly RedisScript ReplaceIf = new(DeadlineCheck + """
        local current = redis.call('GET', KEYS[1])
        if not current then return false end
        if redis.sha1hex(current) ~= ARGV[2] then return {0, current} end
        redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
        return {1}
        """);

    // The same check, then DEL.
    private static readonly RedisScript DestroyIf = new(DeadlineCheck + """
        local current = redis.call('GET', KEYS[1])
        if not current then return false end
        if redis.sha1hex(current) ~= ARGV[2] then return {0, current} end
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

    /// <summary>Every script's text, for tests that load them on a server before counting its commands.</summary>
    internal static IEnumerable<string> Scripts => new[] { Create, Destroy, ReplaceIf, DestroyIf, GetAndExpire }.Concat(IndexScripts).Select(s => s.Text);

    /// <summary>Read-and-touch with the script from the start, as on a server older than Redis 6.2 (for tests).</summary>
    internal RedisSessionStore(RedisConnection connection, TimeProvider time, bool olderThanRedis62) : this(connection, time, Options.Create(new SessionApiOptions())) => _noGetEx = olderThanRedis62;

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

    public Task<bool> CreateAsync(string key, string value, TimeSpan ttl, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        RunAsync(async database => (long)await EvaluateAsync(database, Create, key, RedisDeadline(deadline), value, Seconds(ttl)) == 1);

    public Task<SessionStoreWrite> ReplaceIfAsync(string key, string expectedHash, string value, TimeSpan ttl, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        RunAsync(async database => Write(await EvaluateAsync(database, ReplaceIf, key, RedisDeadline(deadline), expectedHash, value, Seconds(ttl))));

    public Task<bool> DestroyAsync(string key, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        RunAsync(async database => (long)await EvaluateAsync(database, Destroy, key, RedisDeadline(deadline)) == 1);

    public Task<SessionStoreWrite> DestroyIfAsync(string key, string expectedHash, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        RunAsync(async database => Write(await EvaluateAsync(database, DestroyIf, key, RedisDeadline(deadline), expectedHash)));

    // The TtlPolicy already rounds to whole seconds, at least one.
    private static long Seconds(TimeSpan ttl) => (long)ttl.TotalSeconds;

    /// <summary>
    /// The deadline a write script compares with Redis's <c>TIME</c>, in Unix ms: the caller's, less the margin for the
    /// two clocks and the reply's way back (<see cref="DeadlineMargin"/>, at most a quarter of Session:ReconnectTimeout).
    /// </summary>
    /// <exception cref="SessionStoreUnavailableException">That moment has passed on this clock: the write is not sent.</exception>
    private long RedisDeadline(DateTimeOffset deadline)
    {
        var redisDeadline = deadline - _margin;
        if (redisDeadline <= time.GetUtcNow())
            throw new SessionStoreUnavailableException("Too little of the wait for the store was left to send the write; it was not sent.") { MayHaveRun = false };
        return redisDeadline.ToUnixTimeMilliseconds();
    }

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
        catch (RedisServerException error) when (error.Message.StartsWith(DeadlineError, StringComparison.Ordinal))
        {
            // A write script found its deadline passed and wrote nothing: the server answered, late. To the caller it is
            // what an outage is (the API has answered 503 by now, or is about to), and the write certainly did not run.
            connection.OnSuccess();
            throw new SessionStoreUnavailableException("Redis ran the write only after its deadline, so it wrote nothing.", error) { MayHaveRun = false };
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
