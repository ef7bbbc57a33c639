using Microsoft.Extensions.Logging;

namespace SessionFunctions.Diagnostics;

/// <summary>
/// The session API's log messages, each with a stable id and name. Debug for the hot path (load, recall, store),
/// Information for a save that had to be redone or ended in 409, one Warning per incident. Session ids are never
/// logged: they are bearer secrets.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "A stored session is not a JSON object this API can read; the request answers 409 session-unreadable and leaves it and the cookies alone.", EventName = "UnreadableSession")]
    public static partial void UnreadableSession(ILogger logger);

    [LoggerMessage(2, LogLevel.Debug, "The session store is unavailable ({Reason}); retrying for up to {RemainingMs:F0} ms more.", EventName = "StoreUnavailableRetrying")]
    public static partial void StoreUnavailableRetrying(ILogger logger, string reason, double remainingMs);

    [LoggerMessage(3, LogLevel.Warning, "The session store became unavailable ({Reason}); requests wait up to Session:ReconnectTimeout for it, then answer 503.", EventName = "StoreUnavailable")]
    public static partial void StoreUnavailable(ILogger logger, string reason);

    [LoggerMessage(4, LogLevel.Error, "Unexpected error in the session API.", EventName = "UnexpectedError")]
    public static partial void UnexpectedError(ILogger logger, Exception error);

    [LoggerMessage(5, LogLevel.Warning, "The in-memory session store is in use: sessions are lost on restart and are not shared between instances. Set Redis:ConnectionString for production.", EventName = "MemoryStoreInUse")]
    public static partial void MemoryStoreInUse(ILogger logger);

    [LoggerMessage(6, LogLevel.Warning, "*** No signing keys are configured (Session:Keys). A random DEVELOPMENT key was generated: sessions will not survive a restart and cannot be shared with Koa. Never run like this in production. ***", EventName = "DevelopmentKeyGenerated")]
    public static partial void DevelopmentKeyGenerated(ILogger logger);

    [LoggerMessage(7, LogLevel.Information, "The session store is available again after {OutageMs:F0} ms.", EventName = "StoreAvailableAgain")]
    public static partial void StoreAvailableAgain(ILogger logger, double outageMs);

    [LoggerMessage(8, LogLevel.Debug, "The session store stayed unavailable for Session:ReconnectTimeout; answering 503.", EventName = "StoreUnavailableAnswered")]
    public static partial void StoreUnavailableAnswered(ILogger logger);

    [LoggerMessage(9, LogLevel.Warning, "The session store answered with an error ({Code}); requests it refuses answer 503 store-error at once, and further {Code} replies are logged at Debug until it stores a session again: {Reply}", EventName = "StoreError")]
    public static partial void StoreError(ILogger logger, string code, string reply);

    [LoggerMessage(18, LogLevel.Debug, "The session store answered with an error again ({Code}): {Reply}", EventName = "StoreErrorRepeated")]
    public static partial void StoreErrorRepeated(ILogger logger, string code, string reply);

    [LoggerMessage(19, LogLevel.Information, "The session store stores sessions again after {IncidentMs:F0} ms of {Code} replies ({Repeats} more after the first).", EventName = "StoreErrorEnded")]
    public static partial void StoreErrorEnded(ILogger logger, string code, double incidentMs, int repeats);

    [LoggerMessage(20, LogLevel.Debug, "The session store answered with an error ({Code}); answering 503 store-error.", EventName = "StoreErrorAnswered")]
    public static partial void StoreErrorAnswered(ILogger logger, string code);

    // Remembered: the text read is the one this instance last read or wrote, so its hash and cookie came from memory.
    [LoggerMessage(10, LogLevel.Debug, "Session loaded from the store (found: {Found}, as remembered: {Remembered}).", EventName = "SessionLoaded")]
    public static partial void SessionLoaded(ILogger logger, bool found, bool remembered);

    [LoggerMessage(11, LogLevel.Debug, "Session recalled from this instance's memory (found: {Found}).", EventName = "SessionRecalled")]
    public static partial void SessionRecalled(ILogger logger, bool found);

    [LoggerMessage(12, LogLevel.Debug, "Session stored ({Operation}, written: {Written}).", EventName = "SessionStored")]
    public static partial void SessionStored(ILogger logger, string operation, bool written);

    [LoggerMessage(13, LogLevel.Information, "Another writer changed the session during a save; the save is applied again to its value.", EventName = "SaveRedone")]
    public static partial void SaveRedone(ILogger logger);

    [LoggerMessage(14, LogLevel.Information, "A save kept conflicting with other writers ({Writes} writes); answering 409.", EventName = "SaveConflict")]
    public static partial void SaveConflict(ILogger logger, int writes);

    [LoggerMessage(15, LogLevel.Information, "A concurrent request regenerated or removed the session first; answering 409.", EventName = "RegenerateLost")]
    public static partial void RegenerateLost(ILogger logger);

    [LoggerMessage(16, LogLevel.Warning, "A new session that no client holds could not be deleted; it expires by its TTL ({Reason}).", EventName = "OrphanLeft")]
    public static partial void OrphanLeft(ILogger logger, string reason);

    [LoggerMessage(17, LogLevel.Information, "A session could not be taken out of its user's index; listing the user's sessions prunes it ({Reason}).", EventName = "UnindexLeft")]
    public static partial void UnindexLeft(ILogger logger, string reason);

    [LoggerMessage(18, LogLevel.Information, "A login took its user past Session:MaxSessionsPerUser ({Max}); the least recently seen session was signed out.", EventName = "OverBoundSignedOut")]
    public static partial void OverBoundSignedOut(ILogger logger, int max);

    [LoggerMessage(19, LogLevel.Information, "A session over Session:MaxSessionsPerUser could not be signed out now; the user's next login tries again ({Reason}).", EventName = "OverBoundLeft")]
    public static partial void OverBoundLeft(ILogger logger, string reason);

    [LoggerMessage(40, LogLevel.Warning, "A bearer token could not be verified for a reason other than the token (the provider's keys?); answering 401.", EventName = "LoginNotVerified")]
    public static partial void LoginNotVerified(ILogger logger, Exception? error);

    [LoggerMessage(41, LogLevel.Warning, "*** Session:Login:DevelopmentIssuer is on: POST {Path} signs an ID token for any user name that asks, and the verified login trusts only that issuer. For the demo and tests on a development machine; never where others can reach the server. ***", EventName = "DevelopmentIssuerOn")]
    public static partial void DevelopmentIssuerOn(ILogger logger, string path);
}
