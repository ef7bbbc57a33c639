using Microsoft.AspNetCore.Http;

namespace SessionFunctions.Extensibility;

/// <summary>
/// koa's <c>errorHandler(err, type, ctx)</c>, called when a store read or write fails. Throwing fails the request (a store
/// outage becomes 503). Returning normally degrades: a failed read goes on as if there were no session (without clearing
/// the client's cookies), and a failed write answers 503 <c>session-not-stored</c> with the client's cookies unchanged.
/// Default: <see cref="RethrowSessionErrorHandler"/>.
/// </summary>
public interface ISessionErrorHandler
{
    void OnStoreError(Exception error, SessionStoreOperation operation, HttpContext http);
}
