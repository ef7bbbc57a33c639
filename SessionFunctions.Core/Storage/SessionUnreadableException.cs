namespace SessionFunctions.Storage;

/// <summary>
/// The store holds a value for the session that this API cannot read as a session (not JSON, not a JSON object, or
/// nested deeper than <c>JSON.parse</c>-compatible reading allows). The session exists, perhaps for the Koa app, so the
/// API answers 409 <c>session-unreadable</c>, leaves the value and the cookies alone, and does not start a new session
/// over it.
/// </summary>
internal sealed class SessionUnreadableException() : Exception("The stored session is not a JSON object this API can read.");
