using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace SessionFunctions;

/// <summary>
/// How session JSON is parsed and written, the same for the store, request bodies and responses. Strings are written as
/// JavaScript's <c>JSON.stringify</c> writes them, so a session stores the same text here as in Koa: raw UTF-8, and
/// escapes only for <c>"</c>, <c>\</c>, control characters and lone surrogates.
/// </summary>
internal static class SessionJson
{
    private const int MaxDepth = 64;

    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    public static string Serialize(JsonNode session)
    {
        var text = new StringBuilder(256);
        Write(text, session);
        return text.ToString();
    }

    /// <summary>
    /// Parses a request body: one JSON value, in valid UTF-8, with no lone surrogate (<c>"\ud800"</c>) in any string.
    /// Throws <see cref="JsonException"/> for invalid JSON, a repeated property name, more than 64 levels, invalid
    /// UTF-8, or a lone surrogate, none of which a client can mean.
    /// </summary>
    public static JsonNode? ParseBody(ReadOnlySpan<byte> utf8)
    {
        // System.Text.Json would read invalid bytes as U+FFFD and store text the client never sent.
        if (!Utf8.IsValid(utf8)) throw new JsonException("The body is not valid UTF-8.");
        try
        {
            var json = JsonNode.Parse(utf8, documentOptions: ReadOptions);
            // Reads every string now; System.Text.Json refuses a lone surrogate escape when a string (or, checking for
            // repeats, a property name) is read.
            if (json is not null && HasLoneSurrogate(json)) throw new InvalidOperationException();
            return json;
        }
        catch (InvalidOperationException)
        {
            throw new JsonException("The body holds a lone UTF-16 surrogate escape (e.g. \"\\ud800\"), which is not text.");
        }
    }

    /// <summary>Parses stored text as a JSON object; null for anything else, including invalid JSON.</summary>
    /// <remarks>Lone surrogates are accepted here: Koa can store them, and they are written back as Koa writes them.</remarks>
    public static JsonObject? ParseObject(string json)
    {
        if (LoneSurrogateJson.MayContain(json)) return LoneSurrogateJson.Parse(json, MaxDepth) as JsonObject;
        try
        {
            return JsonNode.Parse(json, documentOptions: ReadOptions) as JsonObject;
        }
        catch (Exception error) when (error is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static void Write(StringBuilder text, JsonNode? node)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                break;
            case JsonObject json:
                text.Append('{');
                var firstProperty = true;
                foreach (var (name, value) in json)
                {
                    if (!firstProperty) text.Append(',');
                    firstProperty = false;
                    WriteString(text, name);
                    text.Append(':');
                    Write(text, value);
                }
                text.Append('}');
                break;
            case JsonArray array:
                text.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0) text.Append(',');
                    Write(text, array[i]);
                }
                text.Append(']');
                break;
            default:
                if (node.GetValueKind() == JsonValueKind.String) WriteString(text, node.GetValue<string>());
                else text.Append(node.ToJsonString());
                break;
        }
    }

    /// <summary>ECMAScript's QuoteJSONString.</summary>
    private static void WriteString(StringBuilder text, string value)
    {
        text.Append('"');
        var start = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            string? escape = c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\b' => "\\b",
                '\f' => "\\f",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => Unicode(c),
                _ when char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]) => null,
                _ when char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(value[i - 1]) => null,
                _ when char.IsSurrogate(c) => Unicode(c),
                _ => null,
            };
            if (escape is null) continue;
            text.Append(value, start, i - start).Append(escape);
            start = i + 1;
        }
        text.Append(value, start, value.Length - start).Append('"');
    }

    // JavaScript writes these escapes in lower-case hexadecimal.
    private static string Unicode(char c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture);

    private static bool HasLoneSurrogate(JsonNode node) => node switch
    {
        JsonObject json => json.Any(p => ContainsLoneSurrogate(p.Key) || (p.Value is not null && HasLoneSurrogate(p.Value))),
        JsonArray array => array.Any(item => item is not null && HasLoneSurrogate(item)),
        _ => node.GetValueKind() == JsonValueKind.String && ContainsLoneSurrogate(node.GetValue<string>()),
    };

    private static bool ContainsLoneSurrogate(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (!char.IsSurrogate(value[i])) continue;
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) i++;
            else return true;
        }
        return false;
    }
}
