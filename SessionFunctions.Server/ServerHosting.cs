using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using SessionFunctions;
using SessionFunctions.Configuration;
using SessionFunctions.Lifecycle;
using SessionFunctions.UserIndex;

namespace SessionFunctions.Server;

/// <summary>What only the standalone server does: CORS (Azure Functions gets it from the platform) and the demo SPA.</summary>
public static class ServerHosting
{
    /// <summary>
    /// CORS with credentials for <c>Cors:AllowedOrigins</c>, read through the same validated options as the CSRF check;
    /// with an empty list no origin matches, so no CORS header is sent (same-origin only).
    /// </summary>
    public static IServiceCollection AddSessionCors(this IServiceCollection services)
    {
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<CrossOriginOptions>>((cors, origins) => cors.AddDefaultPolicy(policy => policy
            .WithOrigins([.. origins.Value.Normalized()])
            .AllowCredentials()
            .WithMethods(HttpMethods.Get, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete)
            // Authorization: the ID token of a verified login (POST /api/session/regenerate), from a SPA on another origin.
            .WithHeaders("Content-Type", "If-Match", "If-None-Match", ClientLabel.Header, "Authorization")
            .WithExposedHeaders([.. CrossOriginOptions.ExposedResponseHeaders])
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        return services;
    }

    public static WebApplication UseSessionCors(this WebApplication app)
    {
        app.UseCors();
        return app;
    }

    /// <summary>Serves the demo SPA from <c>Spa:Root</c> (default <c>../samples/spa</c> from the content root), if it exists.</summary>
    public static WebApplication UseDemoSpa(this WebApplication app)
    {
        var root = Path.GetFullPath(Path.Combine(app.Environment.ContentRootPath, app.Configuration["Spa:Root"] ?? "../samples/spa"));
        if (!Directory.Exists(root)) return app;
        var files = new PhysicalFileProvider(root);
        // The demo's type-check tooling (npm ci) lives beside it; none of it is the page's to serve.
        app.UseWhen(http => !http.Request.Path.StartsWithSegments("/node_modules"), branch =>
        {
            branch.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            branch.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = files,
                OnPrepareResponse = context => context.Context.Response.Headers.XContentTypeOptions = "nosniff",
            });
        });
        return app;
    }
}
