namespace SessionFunctions.Configuration;

/// <summary>Default values of the session API, named after their koa-generic-session counterparts.</summary>
public static class SessionApiDefaults
{
    /// <summary>The configuration section that <see cref="SessionApiOptions"/> binds to.</summary>
    public const string ConfigurationSection = "Session";

    /// <summary>koa's <c>key</c>: the name of the sid cookie; the signature cookie is <c>key + ".sig"</c>.</summary>
    public const string Key = "koa.sid";

    /// <summary>koa's <c>prefix</c>: prepended to the sid to make the store key.</summary>
    public const string Prefix = "koa:sess:";

    /// <summary>koa's <c>cookie.maxAge</c>: one day, in milliseconds.</summary>
    public const long MaxAge = 86_400_000;

    /// <summary>koa's <c>reconnectTimeout</c>, in milliseconds.</summary>
    public const int ReconnectTimeout = 10_000;

    /// <summary>The store TTL used when koa's rule yields none (a browser-session cookie and no <c>Ttl</c>): one day.</summary>
    public const long FallbackTtl = 86_400_000;

    /// <summary>The largest request body the API accepts: 64 KiB.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>How many sessions' stored values an instance remembers for one-command saves.</summary>
    public const int RecentSessions = 4096;

    /// <summary>With a user index, the most sessions one user keeps: a login past it signs out the least recently seen.</summary>
    public const int MaxSessionsPerUser = 50;
}
