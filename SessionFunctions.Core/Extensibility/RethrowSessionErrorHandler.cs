using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Http;

namespace SessionFunctions.Extensibility;

/// <summary>koa's default <c>errorHandler</c>: rethrow.</summary>
public sealed class RethrowSessionErrorHandler : ISessionErrorHandler
{
    public void OnStoreError(Exception error, SessionStoreOperation operation, HttpContext http) => ExceptionDispatchInfo.Throw(error);
}
