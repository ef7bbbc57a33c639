using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace SessionFunctions.Functions;

/// <summary>
/// The committed OpenAPI document (<c>openapi/session-api.json</c>), embedded at build. The standalone server generates
/// the same document from the endpoint table, and OpenApiTests holds the committed copy equal to what it generates; the
/// worker has no endpoint routing for the generator to read, so it serves that copy.
/// </summary>
internal static class SessionOpenApiDocument
{
    private static readonly Lazy<byte[]> Document = new(() =>
    {
        using var resource = typeof(SessionOpenApiDocument).Assembly.GetManifestResourceStream("session-api.json")
            ?? throw new InvalidOperationException("The OpenAPI document is not embedded in the app (SessionFunctions.csproj).");
        using var copy = new MemoryStream();
        resource.CopyTo(copy);
        return copy.ToArray();
    });

    /// <summary>The document, with the headers the standalone server sends with it: revalidated by caches, never sniffed.</summary>
    public static IActionResult Result(HttpResponse response)
    {
        response.Headers.CacheControl = "no-cache";
        response.Headers.XContentTypeOptions = "nosniff";
        return new FileContentResult(Document.Value, "application/json; charset=utf-8");
    }
}
