using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Storage;

namespace SessionFunctions.UserIndex;

/// <summary>The user index a configuration gets, and the startup check that the store can keep one.</summary>
internal static class UserIndexRegistration
{
    /// <summary>The index for <c>Session:UserIdPath</c>: none when it is unset, else the store's (<see cref="SessionStartupReport.CheckUserIndexStore"/>).</summary>
    public static IUserSessionIndex Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<SessionApiOptions>>().Value;
        if (options.UserIdPath is null) return NoUserSessionIndex.Instance;
        var store = services.GetRequiredService<ISessionStore>();
        SessionStartupReport.CheckUserIndexStore(options, store);
        return new UserSessionIndex((ISessionUserIndexStore)store, services.GetRequiredService<SessionRepository>(), services.GetRequiredService<TtlPolicy>(),
            options, services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<UserSessionIndex>>());
    }
}
