using System.Net;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using StackExchange.Redis.Configuration;

namespace SessionFunctions.Redis;

/// <summary>
/// StackExchange.Redis' defaults for a connection that authenticates with Microsoft Entra ID, set as
/// <see cref="ConfigurationOptions.Defaults"/>. The library reads <see cref="User"/> and <see cref="Password"/> from
/// here each time it opens a physical connection, its own reconnects included, so every new connection gets the
/// current token; connections already open are re-authenticated (<c>AUTH</c>) after each refresh, before Azure would
/// drop them at the old token's expiry.
/// </summary>
/// <remarks>
/// Everything else comes from the provider the library would have chosen for the endpoint (<see cref="Inner"/>), so
/// Azure Managed Redis and Azure Cache for Redis keep their built-in defaults: one subclass per base cannot be chosen
/// at run time, so this one forwards.
/// </remarks>
internal sealed partial class RedisEntraIdOptionsProvider : DefaultOptionsProvider, IDisposable
{
    private readonly RedisEntraIdTokenSource _tokens;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    // Weak: a multiplexer replaced by the force-reconnect pattern must not be kept alive by its registration here.
    private readonly List<WeakReference<ConnectionMultiplexer>> _multiplexers = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _refreshing;
    private bool _disposed;

    public RedisEntraIdOptionsProvider(DefaultOptionsProvider inner, RedisEntraIdTokenSource tokens, ILogger<RedisEntraIdOptionsProvider> logger)
    {
        Inner = inner;
        _tokens = tokens;
        _logger = logger;
    }

    /// <summary>The provider StackExchange.Redis matched to the endpoint (<see cref="DefaultOptionsProvider.GetProvider(EndPoint)"/>).</summary>
    public DefaultOptionsProvider Inner { get; }

    public override string? User => _tokens.Current?.User;

    public override string? Password => _tokens.Current?.Value;

    /// <summary>
    /// None. The library opens a dedicated subscription connection per endpoint (RESP3 included, unless the interactive
    /// connection is shared with pub/sub, whose stricter output-buffer limits can drop it under load) just to listen on
    /// this channel. Re-authentication reaches only interactive connections (<see cref="IServer.ExecuteAsync(string, object[])"/>),
    /// so that one would keep the old token until Azure dropped it; and the channel carries only primary changes
    /// broadcast by other clients of a self-managed replica set, which Azure's proxies and clusters never send. With no
    /// channel and no subscriptions of ours, no subscription connection is opened at all.
    /// </summary>
    public override string ConfigurationChannel => "";

    /// <summary>Always TLS: the token is a bearer credential. A caller may still set <see cref="ConfigurationOptions.Ssl"/> (tests on loopback).</summary>
    public override bool GetDefaultSsl(EndPointCollection endPoints) => true;

    /// <summary>Never chosen by endpoint: only set in code, with its token source.</summary>
    public override bool IsMatch(EndPoint endpoint) => false;

    /// <summary>No name, so no connection string can select it without a token source.</summary>
    public override string? Name => null;

    public override async Task AfterConnectAsync(ConnectionMultiplexer multiplexer, Action<string> log)
    {
        lock (_lock)
        {
            _multiplexers.RemoveAll(reference => !reference.TryGetTarget(out _));
            _multiplexers.Add(new WeakReference<ConnectionMultiplexer>(multiplexer));
            // The refresh loop runs once something uses the token, for as long as this provider lives.
            if (!_disposed) _refreshing ??= Task.Run(() => _tokens.RunAsync(ReauthenticateAsync, _stop.Token));
        }
        // If Azure's provider subscribes to its maintenance events here (Azure Cache for Redis), that opens a
        // subscription connection: it gets the current token whenever the library reopens it, but no AUTH reaches it,
        // so it may be dropped at a token's expiry and reopened; no request of ours uses it.
        await Inner.AfterConnectAsync(multiplexer, log).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <c>AUTH</c> with <paramref name="token"/> on the interactive connection to every connected server of every
    /// live multiplexer; true when none failed. A connection that is reconnecting gets the new token from
    /// <see cref="Password"/> anyway.
    /// </summary>
    internal async Task<bool> ReauthenticateAsync(RedisEntraIdToken token)
    {
        List<ConnectionMultiplexer> live = [];
        lock (_lock)
        {
            _multiplexers.RemoveAll(reference => !reference.TryGetTarget(out _));
            foreach (var reference in _multiplexers)
            {
                if (reference.TryGetTarget(out var multiplexer)) live.Add(multiplexer);
            }
        }
        var servers = new List<IServer>();
        foreach (var multiplexer in live)
        {
            try
            {
                servers.AddRange(multiplexer.GetServers().Where(server => server.IsConnected));
            }
            catch (ObjectDisposedException)
            {
                // Replaced by a force reconnect and disposed: nothing to re-authenticate.
            }
        }
        var results = await Task.WhenAll(servers.Select(server => ReauthenticateAsync(server, token))).ConfigureAwait(false);
        var failed = results.Count(ok => !ok);
        LogReauthenticated(_logger, token.User, results.Length - failed, failed);
        return failed == 0;
    }

    private async Task<bool> ReauthenticateAsync(IServer server, RedisEntraIdToken token)
    {
        try
        {
            await server.ExecuteAsync("AUTH", token.User, token.Value).ConfigureAwait(false);
            return true;
        }
        catch (Exception error) when (error is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Its exception names no argument: RedisConnection turns IncludeDetailInExceptions off.
            LogReauthenticationFailed(_logger, server.EndPoint.ToString(), error);
            return false;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _stop.Cancel();
        _stop.Dispose();
    }

    // Everything else is the endpoint's own provider's; GetDefaultClientName is protected, and RedisConnection names the client.
    public override bool AbortOnConnectFail => Inner.AbortOnConnectFail;
    public override bool AllowAdmin => Inner.AllowAdmin;
    public override BacklogPolicy BacklogPolicy => Inner.BacklogPolicy;
    public override bool CheckCertificateRevocation => Inner.CheckCertificateRevocation;
    public override bool HighIntegrity => Inner.HighIntegrity;
    public override bool SharedSubscriptionConnection => Inner.SharedSubscriptionConnection;
    public override int ConnectRetry => Inner.ConnectRetry;
    public override TimeSpan? ConnectTimeout => Inner.ConnectTimeout;
    public override CommandMap? CommandMap => Inner.CommandMap;
    public override Version DefaultVersion => Inner.DefaultVersion;
    public override TimeSpan HeartbeatInterval => Inner.HeartbeatInterval;
    public override bool HeartbeatConsistencyChecks => Inner.HeartbeatConsistencyChecks;
    public override bool IncludeDetailInExceptions => Inner.IncludeDetailInExceptions;
    public override bool IncludePerformanceCountersInExceptions => Inner.IncludePerformanceCountersInExceptions;
    public override TimeSpan KeepAliveInterval => Inner.KeepAliveInterval;
    public override ILoggerFactory? LoggerFactory => Inner.LoggerFactory;
    public override Proxy Proxy => Inner.Proxy;
    public override IReconnectRetryPolicy? ReconnectRetryPolicy => Inner.ReconnectRetryPolicy;
    public override bool ResolveDns => Inner.ResolveDns;
    public override TimeSpan SyncTimeout => Inner.SyncTimeout;
    public override string TieBreaker => Inner.TieBreaker;
    public override TimeSpan ConfigCheckInterval => Inner.ConfigCheckInterval;
    public override TimeSpan TopologyRefreshInterval => Inner.TopologyRefreshInterval;
    public override string LibraryName => Inner.LibraryName;
    public override bool SetClientLibrary => Inner.SetClientLibrary;
    public override RedisProtocol? Protocol => Inner.Protocol;
    public override MaintenanceNotificationMode MaintenanceNotifications => Inner.MaintenanceNotifications;
    public override MaintenanceEndpointType MaintenanceMovingEndpointType => Inner.MaintenanceMovingEndpointType;
    public override TimeSpan MaintenanceRelaxedTimeout => Inner.MaintenanceRelaxedTimeout;
    public override TimeSpan? MaintenanceRelaxedWindowMax => Inner.MaintenanceRelaxedWindowMax;
    public override TimeSpan? MaintenancePostEventRelaxedDuration => Inner.MaintenancePostEventRelaxedDuration;
    public override bool TcpKeepAlive => Inner.TcpKeepAlive;
    public override string? GetSslHostFromEndpoints(EndPointCollection endPoints) => Inner.GetSslHostFromEndpoints(endPoints);

    [LoggerMessage(4, LogLevel.Information, "Re-authenticated {Succeeded} Redis connection(s) as {User} with the new Microsoft Entra ID token; {Failed} failed.",
        EventName = "RedisEntraIdReauthenticated")]
    private static partial void LogReauthenticated(ILogger logger, string user, int succeeded, int failed);

    [LoggerMessage(5, LogLevel.Warning,
        "Could not re-authenticate the Redis connection to {EndPoint} with the new Microsoft Entra ID token; it is tried again at the next check, and a reconnect uses the new token.",
        EventName = "RedisEntraIdReauthenticationFailed")]
    private static partial void LogReauthenticationFailed(ILogger logger, string? endPoint, Exception error);
}
