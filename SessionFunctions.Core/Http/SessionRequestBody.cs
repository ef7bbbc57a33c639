using System.Buffers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using SessionFunctions.Cookies;
using SessionFunctions.Lifecycle;
using SessionFunctions.Storage;

namespace SessionFunctions.Http;

/// <summary>
/// Reads and checks a request body: size, encoding, media type, UTF-8, JSON, object shape, and no member that reaches a
/// JavaScript prototype (<see cref="PrototypeKeys"/>). Every failure is a 4xx problem, found before anything is read
/// from or written to the store.
/// </summary>
internal static class SessionRequestBody
{
    /// <summary>The one media type a <c>PATCH</c> takes (RFC 7396), sent in <c>Accept-Patch</c> when another one comes.</summary>
    public const string MergePatchMediaType = "application/merge-patch+json";

    // The same problem type as PUT's, with a title that names what a PATCH takes: PUT's says application/json.
    private static readonly SessionProblem UnsupportedPatchMediaType =
        SessionProblem.UnsupportedMediaType with { Title = "A PATCH body must be application/merge-patch+json (UTF-8)." };

    /// <returns>The body as an edit, or null when the request has none and <paramref name="required"/> is false.</returns>
    public static async Task<SessionEdit?> ReadAsync(HttpRequest request, int maxBytes, bool required, SessionEditKind kind = SessionEditKind.Replace)
    {
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes + 1, 16 * 1024));
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes) throw TooLarge(maxBytes);
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                int read;
                try
                {
                    read = await request.Body.ReadAsync(buffer.AsMemory(length), request.HttpContext.RequestAborted);
                }
                catch (IOException error) when (error is not BadHttpRequestException && !request.HttpContext.RequestAborted.IsCancellationRequested)
                {
                    // Kestrel reports some malformed framing (a chunk size beyond 32 bits) as an I/O error, not a bad request.
                    throw new SessionProblemException(SessionProblem.BadRequest, "The request body's framing is malformed: " + error.Message);
                }
                if (read == 0) break;
                length += read;
                if (length > maxBytes) throw TooLarge(maxBytes);
            }

            if (length == 0)
            {
                return required
                    ? throw new SessionProblemException(SessionProblem.BodyRequired, "Send the session's fields as a JSON object, e.g. {\"count\":1}.")
                    : null;
            }
            var encoding = request.Headers.ContentEncoding.ToString();
            if (encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
                throw new SessionProblemException(SessionProblem.UnsupportedMediaType, $"Content-Encoding '{encoding}' is not supported; send the JSON uncompressed.");
            if (kind == SessionEditKind.Merge && !IsUtf8(request.ContentType, MergePatchMediaType))
            {
                request.HttpContext.Response.Headers["Accept-Patch"] = MergePatchMediaType;
                throw new SessionProblemException(UnsupportedPatchMediaType, $"Content-Type '{request.ContentType}' is not {MergePatchMediaType} (UTF-8).");
            }
            if (kind == SessionEditKind.Replace && !IsUtf8(request.ContentType, null))
                throw new SessionProblemException(SessionProblem.UnsupportedMediaType, $"Content-Type '{request.ContentType}' is not application/json.");

            JsonNode? json;
            try
            {
                json = SessionJson.ParseBody(buffer.AsSpan(0, length));
            }
            catch (System.Text.Json.JsonException error)
            {
                throw new SessionProblemException(SessionProblem.InvalidJson, error.Message);
            }
            if (json is not JsonObject fields) throw new SessionProblemException(SessionProblem.BodyNotObject);
            // Harmless to this API, but a Koa app sharing the store could merge the session into its own objects.
            if (PrototypeKeys.Find(fields) is { } pointer) throw new SessionProblemException(SessionProblem.ForbiddenKey, PrototypeKeys.Detail(pointer));
            return Split(fields, kind);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static SessionEdit Split(JsonObject json, SessionEditKind kind)
    {
        if (!json.TryGetPropertyValue(SessionCookie.PropertyName, out var cookie)) return new SessionEdit(json, null, kind);
        // In a merge patch too: the cookie object cannot be removed, only its overrides changed (null resets one).
        if (cookie is not JsonObject overrides)
            throw new SessionProblemException(SessionProblem.InvalidCookie, "'cookie' must be a JSON object.");
        json.Remove(SessionCookie.PropertyName);
        return new SessionEdit(json, overrides, kind);
    }

    /// <summary>Whether the body is UTF-8 JSON: of <paramref name="only"/> if given, else application/json or any application/*+json.</summary>
    private static bool IsUtf8(string? contentType, string? only)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)) return false;
        var type = media.MediaType.Value ?? "";
        var json = only is not null
            ? type.Equals(only, StringComparison.OrdinalIgnoreCase)
            : type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
              || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        // charset="UTF-8" is the same parameter as charset=UTF-8 (RFC 9110 §5.6.6).
        var charset = media.Charset.HasValue ? HeaderUtilities.RemoveQuotes(media.Charset).Value : null;
        return json && (charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase));
    }

    private static SessionProblemException TooLarge(int maxBytes) =>
        new(SessionProblem.BodyTooLarge, $"The body exceeds {maxBytes} bytes (Session:MaxBodyBytes).");
}
