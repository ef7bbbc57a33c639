namespace SessionFunctions;

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

    /// <summary>Every other path below the prefix: answered 404, or 405 with <c>Allow</c>, as problem+json.</summary>
    public const string Fallback = "{*path}";
}
