using Azure.Core;
using Microsoft.Extensions.Logging;

namespace SessionFunctions.Redis;

/// <summary>
/// The current Microsoft Entra ID token for Redis: got from the credential when a connection needs one, and replaced
/// in the background well before it expires (<see cref="RedisEntraIdToken.From"/>). A failed refresh keeps the token it
/// has, which still works until it expires, and is tried again at the next check.
/// </summary>
internal sealed partial class RedisEntraIdTokenSource : IDisposable
{
    /// <summary>
    /// How often the refresh loop checks the token. Tokens live an hour or more and are replaced at least
    /// <see cref="RedisEntraIdToken.RefreshMargin"/> before expiry, so a failed refresh gets several more tries in time.
    /// </summary>
    public static readonly TimeSpan DefaultCheckInterval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long one request to the credential may take. A hung identity endpoint would otherwise hold the connect (and
    /// every request waiting on it) until Azure.Identity's own retries give up, minutes later; past this, the connect
    /// fails as in any outage and the next request tries again.
    /// </summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);

    private readonly TokenCredential _credential;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    // One request to the credential at a time: a burst of connects, or a connect during a refresh, waits for it.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile RedisEntraIdToken? _current;

    public RedisEntraIdTokenSource(TokenCredential credential, TimeProvider time, TimeSpan checkInterval, ILogger<RedisEntraIdTokenSource> logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(checkInterval, TimeSpan.Zero);
        _credential = credential;
        _time = time;
        CheckInterval = checkInterval;
        _logger = logger;
    }

    public TimeSpan CheckInterval { get; }

    /// <summary>The token new connections authenticate with; null until the first connect got one.</summary>
    public RedisEntraIdToken? Current => _current;

    /// <summary>
    /// The token for a new connection: the current one until it is due for replacement, else a new one from the
    /// credential (a connection made now should not get a token about to expire). If the credential fails, a current
    /// token that has not expired still serves; without one the failure is thrown, so the connect fails as in any outage
    /// and is tried again.
    /// </summary>
    public async Task<RedisEntraIdToken> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current && _time.GetUtcNow() < current.RefreshAt) return current;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } fresh && _time.GetUtcNow() < fresh.RefreshAt) return fresh;
            try
            {
                return _current = await AcquireAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (_current is { } usable && _time.GetUtcNow() < usable.ExpiresOn
                && (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
            {
                LogRefreshFailed(_logger, usable.User, usable.ExpiresOn, CheckInterval.TotalSeconds, error);
                return usable;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Checks every <see cref="CheckInterval"/> until <paramref name="cancellationToken"/> ends: replaces the token when
    /// it is due, then hands each new one to <paramref name="reauthenticate"/>, again at the next check if that reports
    /// a connection it could not re-authenticate.
    /// </summary>
    public async Task RunAsync(Func<RedisEntraIdToken, Task<bool>> reauthenticate, CancellationToken cancellationToken)
    {
        var authenticated = _current;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(CheckInterval, _time, cancellationToken).ConfigureAwait(false);
                await RefreshIfDueAsync(cancellationToken).ConfigureAwait(false);
                var current = _current;
                if (current is not null && !ReferenceEquals(current, authenticated) && await reauthenticate(current).ConfigureAwait(false))
                    authenticated = current;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The loop must outlive any one failure: the next check tries again.
            catch (Exception error)
#pragma warning restore CA1031
            {
                LogCheckFailed(_logger, error);
            }
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task RefreshIfDueAsync(CancellationToken cancellationToken)
    {
        // No token yet: no connection uses one, and the next connect asks for it.
        if (_current is not { } due || _time.GetUtcNow() < due.RefreshAt) return;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!ReferenceEquals(due, _current)) return; // a connect replaced it meanwhile
            _current = await AcquireAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogRefreshFailed(_logger, due.User, due.ExpiresOn, CheckInterval.TotalSeconds, error);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<RedisEntraIdToken> AcquireAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        AccessToken accessToken;
        try
        {
            accessToken = await _credential.GetTokenAsync(new TokenRequestContext([RedisEntraIdToken.Scope]), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The credential did not answer within {RequestTimeout.TotalSeconds} s.");
        }
        var token = RedisEntraIdToken.From(accessToken, _time.GetUtcNow());
        LogAcquired(_logger, token.User, token.ExpiresOn, token.RefreshAt);
        return token;
    }

    [LoggerMessage(1, LogLevel.Information, "Got a Microsoft Entra ID token for Redis user {User}; it expires at {ExpiresOn:O} and is replaced from {RefreshAt:O}.",
        EventName = "RedisEntraIdTokenAcquired")]
    private static partial void LogAcquired(ILogger logger, string user, DateTimeOffset expiresOn, DateTimeOffset refreshAt);

    [LoggerMessage(2, LogLevel.Warning,
        "Could not refresh the Microsoft Entra ID token for Redis user {User}; connections keep the current one, which expires at {ExpiresOn:O}, and the refresh is tried again in {Seconds} s.",
        EventName = "RedisEntraIdTokenRefreshFailed")]
    private static partial void LogRefreshFailed(ILogger logger, string user, DateTimeOffset expiresOn, double seconds, Exception error);

    [LoggerMessage(3, LogLevel.Warning, "The Microsoft Entra ID token check for Redis failed; it runs again at the next interval.",
        EventName = "RedisEntraIdTokenCheckFailed")]
    private static partial void LogCheckFailed(ILogger logger, Exception error);
}
