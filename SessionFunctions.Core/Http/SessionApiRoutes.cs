namespace SessionFunctions.Http;

/// <summary>
/// The API's routes, below the <c>api</c> prefix. Constants, so the Azure Functions attributes use the same strings as
/// the standalone server's route table (<see cref="SessionEndpoints.Routes"/>).
/// </summary>
public static class SessionApiRoutes
{
    /// <summary>The route prefix of both hosts (the Functions host's default <c>routePrefix</c>).</summary>
    public const string Prefix = "api";

    /// <summary>The current session.</summary>
    public const string Session = "session";

    /// <summary>A new id for the current session.</summary>
    public const string Regenerate = "session/regenerate";

    /// <summary>Every session of the current session's user (<c>Session:UserIdPath</c>): list them, or sign them all out.</summary>
    public const string UserSessions = "session/all";

    /// <summary>Every other session of the current session's user: sign them out.</summary>
    public const string OtherUserSessions = "session/others";

    /// <summary>One session of the current session's user, by the handle <see cref="UserSessions"/> lists: sign it out.</summary>
    public const string UserSession = "session/all/{handle}";

    /// <summary>The liveness probe: the standalone server's <c>/healthz</c>, the Functions app's <c>/api/healthz</c>.</summary>
    public const string Live = "healthz";

    /// <summary>The readiness probe (the session store answers): <c>/readyz</c>, and <c>/api/readyz</c> in the Functions app.</summary>
    public const string Ready = "readyz";

    /// <summary>The Functions app's one health function: either probe, by name.</summary>
    public const string Health = "{probe:regex(^(healthz|readyz)$)}";

    /// <summary>Every other path below the prefix: answered 404, or 405 with <c>Allow</c>, as problem+json.</summary>
    public const string Fallback = "{*path}";
}
