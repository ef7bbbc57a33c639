using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Storage;

namespace SessionFunctions.Http;

/// <summary>
/// Readiness: the session store answers one read (Redis: a <c>GET</c> of a key no session uses) within
/// <see cref="Timeout"/>, or <see cref="SessionApiOptions.ReconnectTimeout"/> if that is shorter. It asks the store
/// directly, without the repository's reconnect wait, so an instance behind a load balancer turns unready while Redis
/// is away and ready again as soon as it answers. What the store said stays in the log, never in the response.
/// </summary>
internal sealed class SessionStoreHealthCheck(ISessionStore store, IOptions<SessionApiOptions> options) : IHealthCheck
{
    /// <summary>The longest a probe waits.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private readonly string _probeKey = options.Value.Prefix + "readiness-probe";
    private readonly TimeSpan _timeout = TimeSpan.FromMilliseconds(Math.Min(Timeout.TotalMilliseconds, options.Value.ReconnectTimeout));

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.GetAsync(_probeKey, cancellationToken).WaitAsync(_timeout, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception error) when (error is TimeoutException or SessionStoreUnavailableException or SessionStoreErrorException)
        {
            return HealthCheckResult.Unhealthy("The session store does not answer.", error);
        }
    }
}
