using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SessionFunctions;

/// <summary>How session JSON is parsed and written: the same for the store, request bodies and responses.</summary>
public static class SessionJson
{
    /// <summary>
    /// JSON.stringify does not escape non-ASCII or HTML characters; writing them unescaped keeps stored values readable
    /// by both sides and close to what Koa writes. Values always go out as JSON, never into HTML.
    /// </summary>
    public static readonly JsonSerializerOptions WriteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    public static string Serialize(JsonObject session) => session.ToJsonString(WriteOptions);

    /// <summary>Parses one JSON value. Throws <see cref="JsonException"/> for invalid JSON, a repeated property name, or more than 64 levels.</summary>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8) => JsonNode.Parse(utf8, documentOptions: ReadOptions);

    /// <summary>Parses a JSON object; returns null for anything else, including invalid JSON.</summary>
    public static JsonObject? ParseObject(string json)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: ReadOptions) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
