using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Diagnostics;
using SessionFunctions.Http;

namespace SessionFunctions.Server;

/// <summary>
/// The <see cref="DevelopmentIssuer"/> in the standalone server: registered always, inert unless
/// <c>Session:Login:DevelopmentIssuer</c> is on; then it refuses to start outside Development, and maps its token
/// endpoint. The Functions app has none.
/// </summary>
internal static class DevelopmentIssuerHosting
{
    /// <summary>The <c>Session:Login</c> settings it sets itself, which must then be left unset.</summary>
    private static readonly string[] LoginSettings = ["Authority", "SigningKeys", "Issuers", "Audiences", "Algorithms"];

    public static IServiceCollection AddDevelopmentIssuer(this IServiceCollection services)
    {
        services.TryAddSingleton<DevelopmentIssuer>();
        // A post-configuration, not a configuration value written at startup: it reads the configuration once every
        // source is in, a test host's included.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<SessionApiOptions>, DevelopmentIssuerLogin>());
        return services;
    }

    /// <summary>
    /// With <c>Session:Login:DevelopmentIssuer</c> on: throws outside the Development environment, or when
    /// <c>Session:Login</c> is configured too (the host then stops, naming the setting); else maps
    /// <c>POST /dev/id-token</c> and warns. Off: maps nothing, so the path answers 404.
    /// </summary>
    public static WebApplication MapDevelopmentIssuer(this WebApplication app)
    {
        if (!DevelopmentIssuer.IsOn(app.Configuration)) return app;
        if (!app.Environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                $"{DevelopmentIssuer.Setting}: the development issuer signs an ID token for any user name that asks, so it runs only in the " +
                $"Development environment, not in '{app.Environment.EnvironmentName}'. Turn it off and configure Session:Login with your " +
                "OpenID Connect provider (docs/security.md).");
        }
        var login = app.Configuration.GetSection(SessionApiDefaults.ConfigurationSection).GetSection(SessionLoginDefaults.Section);
        var configured = LoginSettings.Where(s => login[s] is { Length: > 0 } || login.GetSection(s).GetChildren().Any()).ToList();
        if (configured.Count > 0)
        {
            throw new InvalidOperationException(
                $"{DevelopmentIssuer.Setting}: sets Session:Login to trust the development issuer only, so Session:Login:{string.Join(", Session:Login:", configured)} " +
                "must be unset; or turn the development issuer off to use your provider.");
        }

        app.MapPost(DevelopmentIssuer.TokenPath, IssueAsync)
            .WithName("DevelopmentIdToken")
            // Not the session API's: the OpenAPI document describes the API a deployment serves.
            .ExcludeFromDescription();
        Log.DevelopmentIssuerOn(app.Logger, DevelopmentIssuer.TokenPath);
        return app;
    }

    /// <summary>
    /// <c>POST /dev/id-token</c> with <c>{"user":"ada"}</c> answers <c>{"idToken":"…","expiresIn":300}</c>, for
    /// <c>POST /api/session/regenerate</c> with <c>Authorization: Bearer</c>. A bad request is a 400 or 415 problem.
    /// </summary>
    private static async Task IssueAsync(HttpContext http, DevelopmentIssuer issuer)
    {
        // A token is a credential: no cache keeps it.
        http.Response.Headers.CacheControl = "no-store";
        if (!http.Request.HasJsonContentType())
        {
            await SessionProblem.UnsupportedMediaType.WriteAsync(http, $"Content-Type '{http.Request.ContentType}' is not application/json.");
            return;
        }
        string? user = null;
        try
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("user", out var name) && name.ValueKind == JsonValueKind.String)
                user = name.GetString();
        }
        catch (JsonException error)
        {
            await SessionProblem.InvalidJson.WriteAsync(http, error.Message);
            return;
        }
        if (string.IsNullOrWhiteSpace(user) || user.Length > DevelopmentIssuer.MaxUserLength || user.Any(char.IsControl))
        {
            await SessionProblem.BadRequest.WriteAsync(http,
                $"Send {{\"user\":\"<name>\"}}: a name of 1 to {DevelopmentIssuer.MaxUserLength} characters, without control characters.");
            return;
        }
        await http.Response.WriteAsJsonAsync(new DevelopmentIdToken(issuer.Issue(user), (int)DevelopmentIssuer.Lifetime.TotalSeconds),
            DevelopmentIdTokenJson.Default.DevelopmentIdToken, cancellationToken: http.RequestAborted);
    }
}
