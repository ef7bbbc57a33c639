using Microsoft.Extensions.FileProviders;
using SessionFunctions;

namespace SessionFunctions.Server;

/// <summary>What only the standalone server does: CORS (Azure Functions gets it from the platform) and the demo SPA.</summary>
public static class ServerHosting
{
    /// <summary>CORS with credentials for <c>Cors:AllowedOrigins</c>; nothing when the list is empty (same-origin only).</summary>
    public static IServiceCollection AddSessionCors(this IServiceCollection services, IConfiguration configuration)
    {
        var origins = AllowedOrigins(configuration);
        if (origins.Length == 0) return services;
        return services.AddCors(cors => cors.AddDefaultPolicy(policy => policy
            .WithOrigins(origins)
            .AllowCredentials()
            .WithMethods(HttpMethods.Get, HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete)
            .WithHeaders("Content-Type")
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
    }

    public static WebApplication UseSessionCors(this WebApplication app)
    {
        if (AllowedOrigins(app.Configuration).Length > 0) app.UseCors();
        return app;
    }

    /// <summary>Serves the demo SPA from <c>Spa:Root</c> (default <c>../samples/spa</c> from the content root), if it exists.</summary>
    public static WebApplication UseDemoSpa(this WebApplication app)
    {
        var root = Path.GetFullPath(Path.Combine(app.Environment.ContentRootPath, app.Configuration["Spa:Root"] ?? "../samples/spa"));
        if (!Directory.Exists(root)) return app;
        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context => context.Context.Response.Headers.XContentTypeOptions = "nosniff",
        });
        return app;
    }

    // Validation (CrossOriginOptionsValidator) stops the app on a wildcard or malformed entry before any request.
    private static string[] AllowedOrigins(IConfiguration configuration) =>
        [.. (configuration.GetSection(CrossOriginOptions.ConfigurationSection).Get<CrossOriginOptions>() ?? new()).Normalized()];
}
