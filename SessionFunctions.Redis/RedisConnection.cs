using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SessionFunctions.Redis;

/// <summary>
/// The process's one ConnectionMultiplexer, as Azure's guidance for Azure Cache for Redis and Azure Managed Redis asks:
/// a singleton, connected lazily with <c>AbortOnConnectFail=false</c> so it keeps reconnecting in the background, a
/// client name, and the force-reconnect pattern: after connection errors that last <see cref="ReconnectErrorThreshold"/>,
/// the multiplexer is replaced, at most once per <see cref="ReconnectMinInterval"/>.
/// </summary>
internal sealed partial class RedisConnection : IDisposable
{
    public static readonly TimeSpan ReconnectErrorThreshold = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan ReconnectMinInterval = TimeSpan.FromSeconds(60);

    private readonly Func<Task<ConfigurationOptions>> _configure;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Task<ConnectionMultiplexer>? _connection;
    private DateTimeOffset? _firstErrorAt;
    private DateTimeOffset _lastErrorAt;
    private bool _disposed;
    private volatile bool _erring;
    private DateTimeOffset _lastReconnectAt = DateTimeOffset.MinValue;

    /// <param name="configure">Makes the connection options; Azure's Entra ID setup runs here, once per (re)connect.</param>
    /// <param name="time">The clock for the force-reconnect pattern.</param>
    /// <param name="logger">Where reconnects are reported.</param>
    public RedisConnection(Func<Task<ConfigurationOptions>> configure, TimeProvider time, ILogger<RedisConnection> logger)
    {
        _configure = configure;
        _time = time;
        _logger = logger;
    }

    public async Task<IDatabase> GetDatabaseAsync()
    {
        Task<ConnectionMultiplexer> connection;
        lock (_lock)
        {
            // After Dispose (the host is stopping), no request may open a connection that nothing would close.
            ObjectDisposedException.ThrowIf(_disposed, this);
            connection = _connection is { IsFaulted: false, IsCanceled: false } current ? current : _connection = ConnectAsync();
        }
        return (await connection).GetDatabase();
    }

    /// <summary>Reports a command that succeeded: the connection is healthy.</summary>
    public void OnSuccess()
    {
        // Every command ends here: skip the lock unless an error is pending.
        if (!_erring) return;
        lock (_lock)
        {
            _firstErrorAt = null;
            _erring = false;
        }
    }

    /// <summary>Reports a connection error; replaces the multiplexer when errors have lasted too long.</summary>
    public void OnConnectionError()
    {
        Task<ConnectionMultiplexer>? replaced;
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            // As RedisCache does: errors must have lasted the threshold and still be recent, not one long ago and one now.
            if (_firstErrorAt is null || now - _lastErrorAt > ReconnectErrorThreshold) _firstErrorAt = now;
            _lastErrorAt = now;
            _erring = true;
            if (_disposed || now - _firstErrorAt < ReconnectErrorThreshold || now - _lastReconnectAt < ReconnectMinInterval) return;
            replaced = _connection;
            _connection = ConnectAsync();
            _firstErrorAt = null;
            _lastReconnectAt = now;
        }
        LogForcedReconnect(_logger, ReconnectErrorThreshold.TotalSeconds);
        DisposeWhenConnected(replaced);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            DisposeWhenConnected(_connection);
            _connection = null;
        }
    }

    // A connect still under way (the start-up warm-up, a force reconnect) finishes later; its multiplexer would keep
    // reconnecting and beating its heartbeat with nothing to close it.
    private static void DisposeWhenConnected(Task<ConnectionMultiplexer>? connection) =>
        connection?.ContinueWith(static made => made.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var options = await _configure();
        options.AbortOnConnectFail = false;
        options.ClientName ??= "sessionfunctions-" + Environment.MachineName;
        // The tie-breaker key only matters when several primaries compete; skipping it saves a GET on every connect.
        options.TieBreaker = "";
        // Its exception messages would otherwise name the command and key (koa:sess:<sid>), and they reach our logs:
        // a sid is a bearer credential.
        options.IncludeDetailInExceptions = false;
        // While no connection is up, a command fails at once instead of waiting in the client's backlog: the repository
        // retries it, with backoff, for Session:ReconnectTimeout, counts the outage and answers 503 when it lasts. A
        // backlog would hold it for the same time and then send it late, after the API had answered.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    [LoggerMessage(1, LogLevel.Warning, "Redis connection errors lasted over {Seconds} s; replacing the connection (force reconnect).", EventName = "RedisForcedReconnect")]
    private static partial void LogForcedReconnect(ILogger logger, double seconds);
}
