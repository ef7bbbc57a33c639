using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Cookies;

namespace SessionFunctions.Storage;

/// <summary>
/// koa-generic-session's TTL rule: the <c>Ttl</c> option first; else <c>cookie.expires - now</c> when expires is set;
/// else <c>cookie.maxAge</c>. koa-redis writes it as whole seconds rounded up (<c>SETEX ceil(ms/1000)</c>); this is the
/// one place that rounds, so every store receives whole seconds, at least one. With
/// <see cref="SessionApiOptions.AbsoluteTimeout"/> it never reaches past the session's absolute deadline.
/// </summary>
/// <remarks>
/// Deviation: where koa's rule yields no TTL (a browser-session cookie and no <c>Ttl</c>) koa-redis writes a key that
/// never expires; here it falls back to <see cref="SessionApiOptions.FallbackTtl"/>.
/// </remarks>
internal sealed class TtlPolicy(IOptions<SessionApiOptions> options)
{
    private readonly SessionApiOptions _options = options.Value;

    public TimeSpan For(SessionCookie cookie, DateTimeOffset now)
    {
        double milliseconds;
        if (_options.Ttl is > 0) milliseconds = _options.Ttl.Value;
        else if (cookie.Expires is { } expires) milliseconds = (expires - now).TotalMilliseconds;
        else if (cookie.MaxAge is > 0) milliseconds = cookie.MaxAge.Value;
        else milliseconds = _options.FallbackTtl;
        // Never past the absolute deadline: Redis then ends the session for Koa too. Whole seconds rounded down here, so
        // the key is gone by the deadline.
        if (cookie.AbsoluteDeadline(_options.AbsoluteTimeout) is { } deadline)
            return TimeSpan.FromSeconds(Math.Max(1, Math.Min(Math.Ceiling(milliseconds / 1000), Math.Floor((deadline - now).TotalSeconds))));
        return TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(milliseconds / 1000)));
    }
}
