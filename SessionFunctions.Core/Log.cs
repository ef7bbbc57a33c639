using Microsoft.Extensions.Logging;

namespace SessionFunctions;

/// <summary>The session API's log messages. Session ids are never logged: they are bearer secrets.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "A stored session is not a JSON object; it is treated as missing and replaced by a new session.")]
    public static partial void UnreadableSession(ILogger logger);

    [LoggerMessage(2, LogLevel.Warning, "The session store is unavailable ({Reason}); retrying for up to {RemainingMs:F0} ms more.")]
    public static partial void StoreUnavailableRetrying(ILogger logger, string reason, double remainingMs);

    [LoggerMessage(3, LogLevel.Error, "The session store stayed unavailable for Session:ReconnectTimeout; answering 503.")]
    public static partial void StoreUnavailable(ILogger logger, Exception error);

    [LoggerMessage(4, LogLevel.Error, "Unexpected error in the session API.")]
    public static partial void UnexpectedError(ILogger logger, Exception error);

    [LoggerMessage(5, LogLevel.Warning, "The in-memory session store is in use: sessions are lost on restart and are not shared between instances. Set Redis:ConnectionString for production.")]
    public static partial void MemoryStoreInUse(ILogger logger);

    [LoggerMessage(6, LogLevel.Warning, "*** No signing keys are configured (Session:Keys). A random DEVELOPMENT key was generated: sessions will not survive a restart and cannot be shared with Koa. Never run like this in production. ***")]
    public static partial void DevelopmentKeyGenerated(ILogger logger);
}
