using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Http;

namespace SessionFunctions;

/// <summary>Which store operation failed, koa's <c>type</c> argument of <c>errorHandler</c>.</summary>
public enum SessionStoreOperation
{
    Get,
    Set,
}

/// <summary>
/// koa's <c>errorHandler(err, type, ctx)</c>. Throwing fails the request (a store outage becomes 503).
/// Returning normally degrades: a failed load continues with a new session, a failed save is not stored.
/// </summary>
public interface ISessionErrorHandler
{
    void OnStoreError(Exception error, SessionStoreOperation operation, HttpContext http);
}

/// <summary>koa's default: rethrow.</summary>
public sealed class RethrowSessionErrorHandler : ISessionErrorHandler
{
    public void OnStoreError(Exception error, SessionStoreOperation operation, HttpContext http) => ExceptionDispatchInfo.Throw(error);
}
