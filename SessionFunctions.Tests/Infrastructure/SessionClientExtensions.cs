using System.Text;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>Requests <see cref="SessionClient"/> has no shortcut for.</summary>
public static class SessionClientExtensions
{
    /// <summary><c>PATCH /api/session</c> with a merge patch (or, to test refusals, another media type).</summary>
    public static Task<SessionResponse> PatchAsync(this SessionClient client, string json, Action<HttpRequestMessage>? configure = null,
        string mediaType = "application/merge-patch+json") =>
        client.SendAsync(HttpMethod.Patch, "/api/session", null, request =>
        {
            request.Content = new StringContent(json, Encoding.UTF8, mediaType);
            configure?.Invoke(request);
        });
}
