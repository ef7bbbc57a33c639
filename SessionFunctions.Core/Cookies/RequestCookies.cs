using Microsoft.AspNetCore.Http;

namespace SessionFunctions.Cookies;

/// <summary>
/// Reads one cookie the way pillarjs/cookies does (<c>/(?:^|;) *name=([^;]*)/</c>): the first match wins, the value is
/// taken raw (no URL-decoding), and one pair of surrounding double quotes is stripped.
/// </summary>
internal static class RequestCookies
{
    public static string? Get(HttpRequest request, string name)
    {
        var headers = request.Headers.Cookie;
        return headers.Count switch
        {
            0 => null,
            1 => Get(headers[0], name),
            _ => Get(string.Join("; ", headers.ToArray()), name),
        };
    }

    public static string? Get(string? header, string name)
    {
        if (string.IsNullOrEmpty(header)) return null;
        var segment = 0;
        while (segment < header.Length)
        {
            var start = segment;
            while (start < header.Length && header[start] == ' ') start++;
            var equals = start + name.Length;
            if (equals < header.Length && header[equals] == '=' && string.CompareOrdinal(header, start, name, 0, name.Length) == 0)
            {
                var end = header.IndexOf(';', equals + 1);
                var value = header[(equals + 1)..(end < 0 ? header.Length : end)];
                return value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;
            }
            var next = header.IndexOf(';', segment);
            if (next < 0) break;
            segment = next + 1;
        }
        return null;
    }
}
