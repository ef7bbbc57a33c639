using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// An HTTP client with a minimal browser-like cookie jar (names only: the tests check attributes on the raw
/// Set-Cookie headers), so every test sees exactly which cookies the API sets.
/// </summary>
public sealed class SessionClient(HttpClient http, Dictionary<string, string>? jar = null) : IDisposable
{
    /// <summary>The cookies, by name. Two clients may share one jar, as one browser talks to two servers.</summary>
    public Dictionary<string, string> Jar { get; } = jar ?? new(StringComparer.Ordinal);

    public Task<SessionResponse> PostAsync(string path = "/api/session", string? json = null, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Post, path, json, configure);

    public Task<SessionResponse> GetAsync(string path = "/api/session", Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Get, path, null, configure);

    public Task<SessionResponse> PutAsync(string json, string path = "/api/session", Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Put, path, json, configure);

    public Task<SessionResponse> RegenerateAsync(string? json = null) => SendAsync(HttpMethod.Post, "/api/session/regenerate", json, null);

    public Task<SessionResponse> DeleteAsync() => SendAsync(HttpMethod.Delete, "/api/session", null, null);

    public async Task<SessionResponse> SendAsync(HttpMethod method, string path, string? json, Action<HttpRequestMessage>? configure)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        if (Jar.Count > 0) request.Headers.Add("Cookie", string.Join("; ", Jar.Select(c => $"{c.Key}={c.Value}")));
        configure?.Invoke(request);
        using var response = await http.SendAsync(request);
        var setCookies = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToList() : [];
        foreach (var header in setCookies)
        {
            var pair = header.Split(';')[0];
            var name = pair[..pair.IndexOf('=')];
            var value = pair[(name.Length + 1)..];
            if (header.Contains("expires=Thu, 01 Jan 1970", StringComparison.Ordinal)) Jar.Remove(name);
            else Jar[name] = value;
        }
        return new SessionResponse((int)response.StatusCode, response.Content.Headers.ContentType, await response.Content.ReadAsStringAsync(), setCookies, response.Headers);
    }

    public void Dispose() => http.Dispose();
}

public sealed record SessionResponse(int Status, MediaTypeHeaderValue? ContentType, string Body, List<string> SetCookies, HttpResponseHeaders Headers)
{
    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();

    public string? ProblemType => ContentType?.MediaType == "application/problem+json" ? Json["type"]!.GetValue<string>() : null;

    public string? SetCookie(string name) => SetCookies.SingleOrDefault(h => h.StartsWith(name + "=", StringComparison.Ordinal));
}
