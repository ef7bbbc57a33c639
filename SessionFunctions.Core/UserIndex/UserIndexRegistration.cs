using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Storage;

namespace SessionFunctions.UserIndex;

/// <summary>The user index a configuration gets, and the startup check that the store can keep one.</summary>
internal static class UserIndexRegistration
{
    /// <summary>The index for <c>Session:UserIdPath</c>: none when it is unset, else the store's (<see cref="CheckStore"/>).</summary>
    public static IUserSessionIndex Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<SessionApiOptions>>().Value;
        if (options.UserIdPath is null) return NoUserSessionIndex.Instance;
        var store = services.GetRequiredService<ISessionStore>();
        CheckStore(options, store);
        return new UserSessionIndex((ISessionUserIndexStore)store, services.GetRequiredService<SessionRepository>(), services.GetRequiredService<TtlPolicy>(),
            options, services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<UserSessionIndex>>());
    }

    /// <summary>
    /// Stops a user index on a store that cannot keep one (see <see cref="ISessionUserIndexStore"/>), at startup
    /// (<see cref="UserIndexStartupCheck"/>); it would fail every save of a logged-in session.
    /// </summary>
    /// <exception cref="OptionsValidationException">The message names <c>Session:UserIdPath</c>.</exception>
    public static void CheckStore(SessionApiOptions options, ISessionStore store)
    {
        if (options.UserIdPath is null || store is ISessionUserIndexStore) return;
        throw new OptionsValidationException(Options.DefaultName, typeof(SessionApiOptions),
        [
            $"{SessionApiDefaults.ConfigurationSection}:UserIdPath: the session store ({store.GetType().Name}) cannot keep a user index; " +
            "use the memory store or Redis (Redis:ConnectionString), or unset Session:UserIdPath.",
        ]);
    }
}
